// Base64url (RFC 4648 §5) and standard base64 (§4), strict.
//
// Decoding rules (both alphabets):
//  - Only the alphabet's 64 characters. Whitespace, line breaks and the other alphabet's
//    characters are rejected (kBase64Invalid).
//  - Padding: Base64UrlDecode rejects '=' (WebAuthn L3 JSON and JWTs are unpadded).
//    Base64Decode (standard alphabet) requires correct '=' padding to a multiple of 4.
//  - A length that leaves 1 character in the last quantum is impossible and rejected.
//  - Non-canonical encodings are rejected: the unused low bits of the last character must be
//    zero, so each byte string has exactly one accepted encoding.
#ifndef KEYWARD_CORE_BASE64URL_H_
#define KEYWARD_CORE_BASE64URL_H_

#include <string>
#include <string_view>

#include "core/bytes.h"

namespace keyward {

std::string Base64UrlEncode(ByteSpan data);  // unpadded
Result<Bytes> Base64UrlDecode(std::string_view text);

std::string Base64Encode(ByteSpan data);  // padded
Result<Bytes> Base64Decode(std::string_view text);

}  // namespace keyward

#endif  // KEYWARD_CORE_BASE64URL_H_
