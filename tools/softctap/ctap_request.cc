#include "tools/softctap/ctap_request.h"

#include <cstdlib>

namespace keyward::softctap {
namespace {

template <typename K>
Result<std::optional<CborItem>> Member(const CborItem& map, K key) {
  CborItem v = map.Find(key);
  if (!v) return std::optional<CborItem>();
  return std::optional<CborItem>(std::move(v));
}

Unexpected WrongType(const char* what) {
  return CtapError(ctap::kCborUnexpectedType, std::string("expected ") + what);
}

template <typename K>
Result<std::optional<ByteSpan>> BytesOf(const CborItem& map, K key) {
  KW_ASSIGN_OR_RETURN(auto v, Member(map, key));
  if (!v) return std::optional<ByteSpan>();
  if (!v->IsBytes()) return WrongType("byte string");
  KW_ASSIGN_OR_RETURN(ByteSpan b, v->GetBytes());
  return std::optional<ByteSpan>(b);
}
template <typename K>
Result<std::optional<std::string>> TextOf(const CborItem& map, K key) {
  KW_ASSIGN_OR_RETURN(auto v, Member(map, key));
  if (!v) return std::optional<std::string>();
  if (!v->IsText()) return WrongType("text string");
  KW_ASSIGN_OR_RETURN(std::string_view s, v->GetText());
  return std::optional<std::string>(std::string(s));
}
template <typename K>
Result<std::optional<int64_t>> IntOf(const CborItem& map, K key) {
  KW_ASSIGN_OR_RETURN(auto v, Member(map, key));
  if (!v) return std::optional<int64_t>();
  if (!v->IsInt()) return WrongType("integer");
  auto i = v->GetInt();
  if (!i) return CtapError(ctap::kLimitExceeded, "integer out of range");
  return std::optional<int64_t>(*i);
}

}  // namespace

Result<CborItem> ParseRequestMap(ByteSpan params) {
  if (params.empty()) return CtapError(ctap::kMissingParameter, "no parameters");
  CborLimits limits;
  limits.max_depth = 8;
  limits.max_items = 1024;
  limits.max_bytes = 2048;
  limits.require_canonical = true;
  auto decoded = DecodeCbor(params, limits);
  if (!decoded) {
    return CtapError(decoded.error().code == ErrorCode::kCborLimitExceeded ? ctap::kLimitExceeded
                                                                           : ctap::kInvalidCbor,
                     decoded.error().detail);
  }
  if (!decoded->item.IsMap()) return WrongType("map");
  return std::move(decoded->item);
}

Bytes EncodeItem(const CborItem& item) {
  unsigned char* buf = nullptr;
  size_t cap = 0;
  size_t n = cbor_serialize_alloc(item.get(), &buf, &cap);
  Bytes out(buf, buf + n);
  free(buf);
  return out;
}

Result<std::optional<ByteSpan>> OptBytes(const CborItem& m, int64_t k) { return BytesOf(m, k); }
Result<ByteSpan> ReqBytes(const CborItem& m, int64_t k) {
  KW_ASSIGN_OR_RETURN(auto v, BytesOf(m, k));
  if (!v) return CtapError(ctap::kMissingParameter, "missing parameter " + std::to_string(k));
  return *v;
}
Result<std::optional<int64_t>> OptInt(const CborItem& m, int64_t k) { return IntOf(m, k); }
Result<std::optional<std::string>> OptText(const CborItem& m, int64_t k) { return TextOf(m, k); }
Result<CborItem> ReqMap(const CborItem& m, int64_t k) {
  KW_ASSIGN_OR_RETURN(auto v, Member(m, k));
  if (!v) return CtapError(ctap::kMissingParameter, "missing parameter " + std::to_string(k));
  if (!v->IsMap()) return WrongType("map");
  return std::move(*v);
}
Result<std::optional<CborItem>> OptMap(const CborItem& m, int64_t k) {
  KW_ASSIGN_OR_RETURN(auto v, Member(m, k));
  if (v && !v->IsMap()) return WrongType("map");
  return v;
}
Result<std::optional<ByteSpan>> OptBytes(const CborItem& m, std::string_view k) {
  return BytesOf(m, k);
}
Result<std::optional<std::string>> OptText(const CborItem& m, std::string_view k) {
  return TextOf(m, k);
}
Result<std::optional<bool>> OptBool(const CborItem& m, std::string_view k) {
  KW_ASSIGN_OR_RETURN(auto v, Member(m, k));
  if (!v) return std::optional<bool>();
  if (!v->IsBool()) return WrongType("boolean");
  KW_ASSIGN_OR_RETURN(bool b, v->GetBool());
  return std::optional<bool>(b);
}
Result<std::optional<int64_t>> OptInt(const CborItem& m, std::string_view k) { return IntOf(m, k); }

}  // namespace keyward::softctap
