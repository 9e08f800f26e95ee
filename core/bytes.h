// Moved to the public include/keyward/bytes.h; this forwarder keeps internal includes working.
#include "keyward/bytes.h"  // IWYU pragma: export
