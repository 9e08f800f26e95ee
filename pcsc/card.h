// Moved to the public include/keyward/pcsc/card.h; this forwarder keeps internal includes working.
#include "keyward/pcsc/card.h"  // IWYU pragma: export
