// Moved to the public include/keyward/enroll/batch.h; this forwarder keeps internal includes working.
#include "keyward/enroll/batch.h"  // IWYU pragma: export
