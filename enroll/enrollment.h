// Moved to the public include/keyward/enroll/enrollment.h; this forwarder keeps internal includes working.
#include "keyward/enroll/enrollment.h"  // IWYU pragma: export
