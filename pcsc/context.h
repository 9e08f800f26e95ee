// Moved to the public include/keyward/pcsc/context.h; this forwarder keeps internal includes working.
#include "keyward/pcsc/context.h"  // IWYU pragma: export
