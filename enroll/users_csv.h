// Moved to the public include/keyward/enroll/users_csv.h; this forwarder keeps internal includes working.
#include "keyward/enroll/users_csv.h"  // IWYU pragma: export
