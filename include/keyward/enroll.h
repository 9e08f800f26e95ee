// keyward smart-card enrolment for IT: issue PIV cards that log in, one card or a batch.
//
//   keyward::enroll::EnrollOptions o;
//   o.user = {"alice", "Alice Example", "alice@corp.example", "alice@corp.example",
//             "S-1-5-21-1-2-3-1104"};
//   o.ca_cert_path = "ca.pem"; o.ca_key_path = "ca.key";   // or o.csr_out_path for an external CA
//   auto report = keyward::enroll::Enroll(o);   // generate on card, CSR, issue, write, PINs, login
//   if (report.error) { /* report.steps says what completed; re-running resumes */ }
//
// Certificate profile: enroll/profile.h; requests: enroll/csr.h; local CA: enroll/local_ca.h;
// workflow and resume: enroll/enrollment.h; external CA answers: enroll/import_cert.h; batches:
// enroll/batch.h and enroll/users_csv.h. Error codes 10xx; docs/enroll.md.
#ifndef KEYWARD_ENROLL_H_
#define KEYWARD_ENROLL_H_

#include "keyward/enroll/batch.h"
#include "keyward/enroll/card_secrets.h"
#include "keyward/enroll/csr.h"
#include "keyward/enroll/enrollment.h"
#include "keyward/enroll/import_cert.h"
#include "keyward/enroll/journal.h"
#include "keyward/enroll/local_ca.h"
#include "keyward/enroll/login_check.h"
#include "keyward/enroll/profile.h"
#include "keyward/enroll/users_csv.h"
#include "keyward/result.h"

#endif  // KEYWARD_ENROLL_H_
