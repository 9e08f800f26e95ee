// keyward PC/SC and PIV: what an application includes to talk to smart cards.
//
//   auto ctx = keyward::pcsc::Context::Establish();           // pcscd connection
//   auto readers = (*ctx)->ListReaders();
//   auto piv = keyward::pcsc::piv::PivClient::Open(*ctx, readers->at(0));
//   (*piv)->VerifyPin(keyward::SecretBytes("123456"));
//   auto sig = (*piv)->SignDigest(Slot::kAuthentication, Algorithm::kEccP256, kSha256, digest);
//
// Reader/card events: keyward::pcsc::Monitor. Raw APDUs: Card + Transceive. Details and the
// error codes: docs/pcsc.md.
#ifndef KEYWARD_PCSC_H_
#define KEYWARD_PCSC_H_

#include "keyward/pcsc/apdu.h"
#include "keyward/pcsc/atr.h"
#include "keyward/pcsc/card.h"
#include "keyward/pcsc/context.h"
#include "keyward/pcsc/monitor.h"
#include "keyward/pcsc/piv_client.h"
#include "keyward/pcsc/scard_error.h"
#include "keyward/pcsc/status_word.h"
#include "keyward/pcsc/transceive.h"
#include "keyward/result.h"

#endif  // KEYWARD_PCSC_H_
