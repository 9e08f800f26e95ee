// Moved to the public include/keyward/pcsc/scard_error.h; this forwarder keeps internal includes working.
#include "keyward/pcsc/scard_error.h"  // IWYU pragma: export
