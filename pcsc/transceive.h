// Moved to the public include/keyward/pcsc/transceive.h; this forwarder keeps internal includes working.
#include "keyward/pcsc/transceive.h"  // IWYU pragma: export
