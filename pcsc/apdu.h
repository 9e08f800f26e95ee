// Moved to the public include/keyward/pcsc/apdu.h; this forwarder keeps internal includes working.
#include "keyward/pcsc/apdu.h"  // IWYU pragma: export
