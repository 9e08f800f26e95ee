#include "core/cbor.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace keyward {
namespace {

struct Header {
  uint8_t major;
  uint8_t info;       // additional information (low 5 bits)
  uint64_t value;     // argument
  size_t header_len;  // bytes of the initial byte + argument
};

Result<Header> ReadHeader(ByteSpan data, size_t pos, bool canonical) {
  if (pos >= data.size()) return Fail(ErrorCode::kCborMalformed, "truncated item");
  uint8_t ib = data[pos];
  Header h{static_cast<uint8_t>(ib >> 5), static_cast<uint8_t>(ib & 0x1f), 0, 1};
  if (h.info < 24) {
    h.value = h.info;
  } else if (h.info <= 27) {
    size_t n = size_t{1} << (h.info - 24);
    if (data.size() - pos - 1 < n) return Fail(ErrorCode::kCborMalformed, "truncated argument");
    for (size_t i = 0; i < n; ++i) h.value = (h.value << 8) | data[pos + 1 + i];
    h.header_len = 1 + n;
    if (canonical && h.major != 7) {
      uint64_t min = n == 1 ? 24 : n == 2 ? 0x100 : n == 4 ? 0x10000 : 0x100000000ULL;
      if (h.value < min) return Fail(ErrorCode::kCborNotCanonical, "non-shortest encoding");
    }
  } else if (h.info == 31) {
    return Fail(ErrorCode::kCborIndefiniteLength, "indefinite length");
  } else {
    return Fail(ErrorCode::kCborMalformed, "reserved additional information");
  }
  return h;
}

// A map key reduced to what identifies it, for duplicate detection and canonical order.
struct KeyView {
  ByteSpan encoded;  // whole encoded key
  uint8_t major;
  uint64_t int_value;  // for majors 0/1
  ByteSpan content;    // for majors 2/3
};

bool SameKey(const KeyView& a, const KeyView& b) {
  if (a.major != b.major) return false;
  if (a.major <= 1) return a.int_value == b.int_value;
  if (a.major == 2 || a.major == 3) {
    return a.content.size() == b.content.size() &&
           std::equal(a.content.begin(), a.content.end(), b.content.begin());
  }
  return a.encoded.size() == b.encoded.size() &&
         std::equal(a.encoded.begin(), a.encoded.end(), b.encoded.begin());
}

// CTAP2 canonical order: by encoded length first, then bytewise (RFC 7049 §3.9).
bool CanonicalLess(const KeyView& a, const KeyView& b) {
  if (a.encoded.size() != b.encoded.size()) return a.encoded.size() < b.encoded.size();
  return std::lexicographical_compare(a.encoded.begin(), a.encoded.end(), b.encoded.begin(),
                                      b.encoded.end());
}

class Validator {
 public:
  Validator(ByteSpan data, const CborLimits& limits) : data_(data), limits_(limits) {}

  Result<size_t> Item(size_t pos, size_t depth) {
    if (depth > limits_.max_depth) return Fail(ErrorCode::kCborLimitExceeded, "nesting too deep");
    if (++items_ > limits_.max_items) return Fail(ErrorCode::kCborLimitExceeded, "too many items");
    KW_ASSIGN_OR_RETURN(Header h, ReadHeader(data_, pos, limits_.require_canonical));
    size_t p = pos + h.header_len;
    switch (h.major) {
      case 0:
      case 1:
        return p;
      case 2:
      case 3:
        if (h.value > data_.size() - p) return Fail(ErrorCode::kCborMalformed, "truncated string");
        return p + static_cast<size_t>(h.value);
      case 4: {
        if (h.value > data_.size() - p) return Fail(ErrorCode::kCborMalformed, "array too long");
        for (uint64_t i = 0; i < h.value; ++i) {
          KW_ASSIGN_OR_RETURN(p, Item(p, depth + 1));
        }
        return p;
      }
      case 5: {
        if (h.value > (data_.size() - p) / 2)
          return Fail(ErrorCode::kCborMalformed, "map too long");
        std::vector<KeyView> keys;
        keys.reserve(static_cast<size_t>(h.value));
        for (uint64_t i = 0; i < h.value; ++i) {
          size_t key_start = p;
          KW_ASSIGN_OR_RETURN(p, Item(p, depth + 1));
          KeyView k = MakeKey(key_start, p);
          for (const auto& prev : keys) {
            if (SameKey(prev, k)) return Fail(ErrorCode::kCborDuplicateKey, "duplicate map key");
          }
          if (limits_.require_canonical && !keys.empty() && !CanonicalLess(keys.back(), k)) {
            return Fail(ErrorCode::kCborNotCanonical, "map keys not in canonical order");
          }
          keys.push_back(k);
          KW_ASSIGN_OR_RETURN(p, Item(p, depth + 1));
        }
        return p;
      }
      case 6:
        return Item(p, depth + 1);
      case 7:
        if (h.info == 24 && h.value < 32) {
          return Fail(ErrorCode::kCborMalformed, "simple value in two-byte form");
        }
        return p;
    }
    return Fail(ErrorCode::kCborMalformed, "unreachable major type");
  }

 private:
  KeyView MakeKey(size_t start, size_t end) {
    KeyView k{data_.subspan(start, end - start), static_cast<uint8_t>(data_[start] >> 5), 0, {}};
    auto h = ReadHeader(data_, start, false);  // already validated
    if (h) {
      if (k.major <= 1) k.int_value = h->value;
      if (k.major == 2 || k.major == 3) k.content = data_.subspan(start + h->header_len, h->value);
    }
    return k;
  }

  ByteSpan data_;
  const CborLimits& limits_;
  size_t items_ = 0;
};

}  // namespace

Result<size_t> ValidateCbor(ByteSpan data, const CborLimits& limits) {
  if (data.empty()) return Fail(ErrorCode::kCborMalformed, "empty input");
  if (data.size() > limits.max_bytes) return Fail(ErrorCode::kCborLimitExceeded, "input too large");
  Validator v(data, limits);
  KW_ASSIGN_OR_RETURN(size_t end, v.Item(0, 0));
  if (!limits.allow_trailing && end != data.size()) {
    return Fail(ErrorCode::kTrailingData, "bytes after the CBOR item");
  }
  return end;
}

Result<CborDecoded> DecodeCbor(ByteSpan data, const CborLimits& limits) {
  KW_ASSIGN_OR_RETURN(size_t len, ValidateCbor(data, limits));
  cbor_load_result res;
  cbor_item_t* item = cbor_load(data.data(), len, &res);
  if (item == nullptr || res.error.code != CBOR_ERR_NONE || res.read != len) {
    if (item) cbor_decref(&item);
    if (res.error.code == CBOR_ERR_MEMERROR) return Fail(ErrorCode::kInternal, "out of memory");
    return Fail(ErrorCode::kCborMalformed, "libcbor rejected the item");
  }
  return CborDecoded{CborItem(item), len};
}

bool CborItem::IsMap() const { return item_ && cbor_isa_map(item_); }
bool CborItem::IsArray() const { return item_ && cbor_isa_array(item_); }
bool CborItem::IsBytes() const { return item_ && cbor_isa_bytestring(item_); }
bool CborItem::IsText() const { return item_ && cbor_isa_string(item_); }
bool CborItem::IsInt() const { return item_ && (cbor_isa_uint(item_) || cbor_isa_negint(item_)); }
// libcbor's cbor_is_bool / cbor_ctrl_value assert that a float_ctrl item is a simple value
// (width 0): a half, single or double float there aborts the process. Check the width first.
bool CborItem::IsBool() const {
  return item_ && cbor_isa_float_ctrl(item_) && cbor_float_get_width(item_) == CBOR_FLOAT_0 &&
         cbor_is_bool(item_);
}

Result<ByteSpan> CborItem::GetBytes() const {
  if (!IsBytes() || !cbor_bytestring_is_definite(item_)) {
    return Fail(ErrorCode::kCborUnexpectedType, "expected a byte string");
  }
  return ByteSpan(cbor_bytestring_handle(item_), cbor_bytestring_length(item_));
}

Result<std::string_view> CborItem::GetText() const {
  if (!IsText() || !cbor_string_is_definite(item_)) {
    return Fail(ErrorCode::kCborUnexpectedType, "expected a text string");
  }
  return std::string_view(reinterpret_cast<const char*>(cbor_string_handle(item_)),
                          cbor_string_length(item_));
}

Result<int64_t> CborItem::GetInt() const {
  if (!IsInt()) return Fail(ErrorCode::kCborUnexpectedType, "expected an integer");
  uint64_t v = cbor_get_int(item_);
  if (v > static_cast<uint64_t>(INT64_MAX)) {
    return Fail(ErrorCode::kCborLimitExceeded, "integer out of range");
  }
  return cbor_isa_uint(item_) ? static_cast<int64_t>(v) : -1 - static_cast<int64_t>(v);
}

Result<bool> CborItem::GetBool() const {
  if (!IsBool()) return Fail(ErrorCode::kCborUnexpectedType, "expected a boolean");
  return cbor_get_bool(item_);
}

CborItem CborItem::Find(int64_t key) const {
  if (!IsMap()) return {};
  const cbor_pair* pairs = cbor_map_handle(item_);
  for (size_t i = 0; i < cbor_map_size(item_); ++i) {
    CborItem k(cbor_incref(pairs[i].key));
    auto v = k.GetInt();
    if (v && *v == key) return CborItem(cbor_incref(pairs[i].value));
  }
  return {};
}

CborItem CborItem::Find(std::string_view key) const {
  if (!IsMap()) return {};
  const cbor_pair* pairs = cbor_map_handle(item_);
  for (size_t i = 0; i < cbor_map_size(item_); ++i) {
    cbor_item_t* k = pairs[i].key;
    if (cbor_isa_string(k) && cbor_string_is_definite(k) && cbor_string_length(k) == key.size() &&
        std::memcmp(cbor_string_handle(k), key.data(), key.size()) == 0) {
      return CborItem(cbor_incref(pairs[i].value));
    }
  }
  return {};
}

size_t CborItem::MapSize() const { return IsMap() ? cbor_map_size(item_) : 0; }
size_t CborItem::ArraySize() const { return IsArray() ? cbor_array_size(item_) : 0; }
CborItem CborItem::At(size_t index) const {
  if (!IsArray() || index >= cbor_array_size(item_)) return {};
  return CborItem(cbor_array_get(item_, index));  // cbor_array_get increments the refcount
}

}  // namespace keyward
