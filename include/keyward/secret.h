// Secret material (PINs, PUKs, management keys, private key bytes): wiped on destruction and
// move, never printable. There is deliberately no operator<< and no implicit conversion to a
// string; code that needs the bytes asks for them by name (`reveal()`).
#ifndef KEYWARD_SECRET_H_
#define KEYWARD_SECRET_H_

#include <openssl/crypto.h>

#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "keyward/export.h"

KEYWARD_API_BEGIN

namespace keyward {

class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(std::span<const uint8_t> b) : data_(b.begin(), b.end()) {}
  explicit SecretBytes(std::string_view s) : data_(s.begin(), s.end()) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes& o) {
    if (this != &o) {
      Wipe();
      data_ = o.data_;
    }
    return *this;
  }
  SecretBytes(SecretBytes&& o) noexcept : data_(std::move(o.data_)) { o.Wipe(); }
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    if (this != &o) {
      Wipe();
      data_ = std::move(o.data_);
      o.Wipe();
    }
    return *this;
  }
  ~SecretBytes() { Wipe(); }

  std::span<const uint8_t> reveal() const { return data_; }
  std::string_view reveal_chars() const {
    return {reinterpret_cast<const char*>(data_.data()), data_.size()};
  }
  size_t size() const { return data_.size(); }
  bool empty() const { return data_.empty(); }

 private:
  void Wipe() noexcept {
    if (!data_.empty()) OPENSSL_cleanse(data_.data(), data_.size());
    data_.clear();
  }
  std::vector<uint8_t> data_;
};

}  // namespace keyward

KEYWARD_API_END

#endif  // KEYWARD_SECRET_H_
