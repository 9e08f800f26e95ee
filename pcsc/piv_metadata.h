// Moved to the public include/keyward/pcsc/piv_metadata.h; this forwarder keeps internal includes working.
#include "keyward/pcsc/piv_metadata.h"  // IWYU pragma: export
