// Moved to the public include/keyward/pcsc/mgmt_key.h; this forwarder keeps internal includes working.
#include "keyward/pcsc/mgmt_key.h"  // IWYU pragma: export
