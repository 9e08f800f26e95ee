// Moved to the public include/keyward/pcsc/status_word.h; this forwarder keeps internal includes working.
#include "keyward/pcsc/status_word.h"  // IWYU pragma: export
