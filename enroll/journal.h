// Moved to the public include/keyward/enroll/journal.h; this forwarder keeps internal includes working.
#include "keyward/enroll/journal.h"  // IWYU pragma: export
