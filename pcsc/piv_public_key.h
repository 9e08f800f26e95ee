// Moved to the public include/keyward/pcsc/piv_public_key.h; this forwarder keeps internal includes working.
#include "keyward/pcsc/piv_public_key.h"  // IWYU pragma: export
