// Moved to the public include/keyward/pcsc/atr.h; this forwarder keeps internal includes working.
#include "keyward/pcsc/atr.h"  // IWYU pragma: export
