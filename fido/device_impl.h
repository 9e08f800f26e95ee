// Internals of keyward::fido::Device shared by its operation files.
#ifndef KEYWARD_FIDO_DEVICE_IMPL_H_
#define KEYWARD_FIDO_DEVICE_IMPL_H_

#include <fido.h>

#include <chrono>
#include <string>

#include "core/secret.h"
#include "fido/fido_error.h"
#include "keyward/fido.h"

namespace keyward::fido {

struct Device::Impl {
  fido_dev_t* dev = nullptr;
  std::chrono::milliseconds timeout{30000};
  ~Impl() {
    if (dev) {
      fido_dev_close(dev);
      fido_dev_free(&dev);
    }
  }

  // Runs one libfido2 call under the device timeout. A receive/transmit failure once the
  // timeout has passed is kFidoTimeout; the device is told to cancel so it stops waiting.
  template <typename F>
  Result<void> Run(std::string_view what, F&& call, FidoContext context = FidoContext::kGeneral) {
    fido_dev_set_timeout(dev, static_cast<int>(timeout.count()));
    auto start = std::chrono::steady_clock::now();
    int rc = call();
    if (rc == FIDO_OK) return Ok();
    if ((rc == FIDO_ERR_RX || rc == FIDO_ERR_TX) &&
        std::chrono::steady_clock::now() - start >= timeout) {
      fido_dev_cancel(dev);
      return Fail(
          ErrorCode::kFidoTimeout,
          std::string(what) + ": no answer within " + std::to_string(timeout.count()) + " ms",
          static_cast<uint32_t>(rc));
    }
    return Fail(FidoError(rc, what, context));
  }
};

class OptionalPin;
Result<OptionalPin> MakeOptionalPin(const SecretBytes* pin);

// A PIN as the NUL-terminated string libfido2 wants, wiped on destruction.
class PinCString {
 public:
  friend Result<OptionalPin> MakeOptionalPin(const SecretBytes* pin);
  static Result<PinCString> From(const SecretBytes& pin);
  const char* c_str() const { return reinterpret_cast<const char*>(buf_.reveal().data()); }

 private:
  explicit PinCString(SecretBytes buf) : buf_(std::move(buf)) {}
  SecretBytes buf_;
};

// The optional-PIN form: c_str() is null when `pin` is null.
class OptionalPin {
 public:
  OptionalPin() = default;
  const char* c_str() const {
    return present_ ? reinterpret_cast<const char*>(buf_.reveal().data()) : nullptr;
  }

 private:
  friend Result<OptionalPin> MakeOptionalPin(const SecretBytes* pin);
  SecretBytes buf_;
  bool present_ = false;
};
Result<OptionalPin> MakeOptionalPin(const SecretBytes* pin);

}  // namespace keyward::fido

#endif  // KEYWARD_FIDO_DEVICE_IMPL_H_
