// Moved to the public include/keyward/enroll/import_cert.h; this forwarder keeps internal includes working.
#include "keyward/enroll/import_cert.h"  // IWYU pragma: export
