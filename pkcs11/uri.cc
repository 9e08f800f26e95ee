#include "pkcs11/uri.h"

#include <vector>

namespace keyward::pkcs11 {
namespace {

constexpr size_t kMaxUriLength = 4096;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Result<std::string> PercentDecode(std::string_view in) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) {
      return Fail(ErrorCode::kPkcs11UriInvalid, "truncated percent escape");
    }
    int hi = HexValue(in[i + 1]), lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) return Fail(ErrorCode::kPkcs11UriInvalid, "bad percent escape");
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t pos = s.find(sep, start);
    parts.push_back(
        s.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

Result<void> SetOnce(std::optional<std::string>& slot, std::string value, std::string_view name) {
  if (slot) return Fail(ErrorCode::kPkcs11UriInvalid, "attribute repeated: " + std::string(name));
  slot = std::move(value);
  return Ok();
}

}  // namespace

Result<Pkcs11Uri> Pkcs11Uri::Parse(std::string_view uri) {
  constexpr std::string_view kScheme = "pkcs11:";
  if (uri.size() > kMaxUriLength) return Fail(ErrorCode::kPkcs11UriInvalid, "URI too long");
  if (uri.substr(0, kScheme.size()) != kScheme) {
    return Fail(ErrorCode::kPkcs11UriInvalid, "not a pkcs11: URI");
  }
  std::string_view rest = uri.substr(kScheme.size());
  std::string_view path = rest, query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    path = rest.substr(0, q);
    query = rest.substr(q + 1);
  }
  Pkcs11Uri out;
  if (!path.empty()) {
    for (std::string_view attr : Split(path, ';')) {
      size_t eq = attr.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return Fail(ErrorCode::kPkcs11UriInvalid, "path attribute without '='");
      }
      std::string_view name = attr.substr(0, eq);
      KW_ASSIGN_OR_RETURN(std::string value, PercentDecode(attr.substr(eq + 1)));
      if (name == "token") {
        KW_TRY(SetOnce(out.token, std::move(value), name));
      } else if (name == "manufacturer") {
        KW_TRY(SetOnce(out.manufacturer, std::move(value), name));
      } else if (name == "model") {
        KW_TRY(SetOnce(out.model, std::move(value), name));
      } else if (name == "serial") {
        KW_TRY(SetOnce(out.serial, std::move(value), name));
      } else if (name == "object") {
        KW_TRY(SetOnce(out.object, std::move(value), name));
      } else if (name == "id") {
        if (out.id) return Fail(ErrorCode::kPkcs11UriInvalid, "attribute repeated: id");
        out.id = Bytes(value.begin(), value.end());
      } else if (name == "type") {
        if (out.type) return Fail(ErrorCode::kPkcs11UriInvalid, "attribute repeated: type");
        if (value == "cert") {
          out.type = ObjectClass::kCertificate;
        } else if (value == "private") {
          out.type = ObjectClass::kPrivateKey;
        } else if (value == "public") {
          out.type = ObjectClass::kPublicKey;
        } else if (value == "secret-key") {
          out.type = ObjectClass::kSecretKey;
        } else if (value == "data") {
          out.type = ObjectClass::kData;
        } else {
          return Fail(ErrorCode::kPkcs11UriInvalid, "unknown object type");
        }
      } else if (name.substr(0, 8) == "library-" || name.substr(0, 5) == "slot-" ||
                 name.substr(0, 2) == "x-") {
        // Accepted, not used for selection.
      } else {
        return Fail(ErrorCode::kPkcs11UriInvalid, "unknown path attribute: " + std::string(name));
      }
    }
  }
  if (!query.empty()) {
    for (std::string_view attr : Split(query, '&')) {
      size_t eq = attr.find('=');
      if (eq == std::string_view::npos || eq == 0) {
        return Fail(ErrorCode::kPkcs11UriInvalid, "query attribute without '='");
      }
      std::string_view name = attr.substr(0, eq);
      if (name == "pin-value" || name == "pin-source") {
        // The value is deliberately neither decoded nor echoed.
        return Fail(ErrorCode::kPkcs11UriInvalid, "PINs in URIs are refused");
      }
      KW_ASSIGN_OR_RETURN(std::string value, PercentDecode(attr.substr(eq + 1)));
      if (name == "module-path") {
        KW_TRY(SetOnce(out.module_path, std::move(value), name));
      } else if (name == "module-name") {
        KW_TRY(SetOnce(out.module_name, std::move(value), name));
      } else if (name.substr(0, 2) == "x-") {
      } else {
        return Fail(ErrorCode::kPkcs11UriInvalid, "unknown query attribute: " + std::string(name));
      }
    }
  }
  return out;
}

}  // namespace keyward::pkcs11
