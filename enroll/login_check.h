// Moved to the public include/keyward/enroll/login_check.h; this forwarder keeps internal includes working.
#include "keyward/enroll/login_check.h"  // IWYU pragma: export
