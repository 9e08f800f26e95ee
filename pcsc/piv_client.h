// Moved to the public include/keyward/pcsc/piv_client.h; this forwarder keeps internal includes working.
#include "keyward/pcsc/piv_client.h"  // IWYU pragma: export
