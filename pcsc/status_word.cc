#include "pcsc/status_word.h"

#include <cstdio>

namespace keyward::pcsc {

std::string StatusWord::Hex() const {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "%04X", value_);
  return buf;
}

std::string StatusWord::Name() const {
  switch (value_) {
    case 0x9000: return "success";
    case 0x6200: return "warning_state_unchanged";
    case 0x6281: return "part_of_returned_data_may_be_corrupted";
    case 0x6282: return "end_of_file_reached_before_le";
    case 0x6283: return "selected_file_deactivated";
    case 0x6300: return "warning_state_changed";
    case 0x6381: return "file_filled_up_by_last_write";
    case 0x6400: return "execution_error_state_unchanged";
    case 0x6500: return "execution_error_state_changed";
    case 0x6581: return "memory_failure";
    case 0x6700: return "wrong_length";
    case 0x6800: return "functions_in_cla_not_supported";
    case 0x6881: return "logical_channel_not_supported";
    case 0x6882: return "secure_messaging_not_supported";
    case 0x6883: return "last_command_of_chain_expected";
    case 0x6884: return "command_chaining_not_supported";
    case 0x6900: return "command_not_allowed";
    case 0x6981: return "command_incompatible_with_file_structure";
    case 0x6982: return "security_status_not_satisfied";
    case 0x6983: return "authentication_method_blocked";
    case 0x6984: return "reference_data_not_usable";
    case 0x6985: return "conditions_of_use_not_satisfied";
    case 0x6986: return "command_not_allowed_no_current_ef";
    case 0x6987: return "expected_secure_messaging_data_objects_missing";
    case 0x6988: return "incorrect_secure_messaging_data_objects";
    case 0x6A00: return "wrong_parameters";
    case 0x6A80: return "incorrect_parameters_in_data_field";
    case 0x6A81: return "function_not_supported";
    case 0x6A82: return "file_or_application_not_found";
    case 0x6A83: return "record_not_found";
    case 0x6A84: return "not_enough_memory_space";
    case 0x6A85: return "nc_inconsistent_with_tlv_structure";
    case 0x6A86: return "incorrect_parameters_p1_p2";
    case 0x6A87: return "nc_inconsistent_with_p1_p2";
    case 0x6A88: return "referenced_data_not_found";
    case 0x6A89: return "file_already_exists";
    case 0x6A8A: return "df_name_already_exists";
    case 0x6B00: return "wrong_parameters_p1_p2";
    case 0x6D00: return "instruction_not_supported";
    case 0x6E00: return "class_not_supported";
    case 0x6F00: return "no_precise_diagnosis";
    default: break;
  }
  char buf[48];
  switch (sw1()) {
    case 0x61: std::snprintf(buf, sizeof(buf), "bytes_remaining(%u)", sw2() ? sw2() : 256); return buf;
    case 0x6C: std::snprintf(buf, sizeof(buf), "wrong_le(exact=%u)", sw2() ? sw2() : 256); return buf;
    case 0x62: return "warning_state_unchanged";
    case 0x63:
      if ((sw2() & 0xf0) == 0xc0) {
        std::snprintf(buf, sizeof(buf), "verification_failed(retries=%u)", sw2() & 0x0f);
        return buf;
      }
      return "warning_state_changed";
    case 0x64: return "execution_error_state_unchanged";
    case 0x65: return "execution_error_state_changed";
    case 0x66: return "security_related_issue";
    case 0x67: return "wrong_length";
    case 0x68: return "functions_in_cla_not_supported";
    case 0x69: return "command_not_allowed";
    case 0x6A: return "wrong_parameters";
    default: break;
  }
  return "unknown_status";
}

Error StatusWordError(StatusWord sw, std::string context) {
  ErrorCode code = ErrorCode::kApduStatusError;
  if (sw.counter()) {
    code = sw.counter_value() == 0 ? ErrorCode::kPinBlocked : ErrorCode::kPinIncorrect;
  } else {
    switch (sw.value()) {
      case 0x6982: code = ErrorCode::kPivSecurityStatusNotSatisfied; break;
      case 0x6983: code = ErrorCode::kPinBlocked; break;
      case 0x6A82:
      case 0x6A88: code = ErrorCode::kPivObjectNotFound; break;
      case 0x6A80:
      case 0x6A86:
      case 0x6700: code = ErrorCode::kInvalidArgument; break;
      default: break;
    }
  }
  std::string detail = std::move(context);
  if (!detail.empty()) detail += ": ";
  detail += "card answered " + sw.Hex() + " (" + sw.Name() + ")";
  return Error{code, sw.value(), std::move(detail)};
}

Result<void> CheckStatus(StatusWord sw, std::string context) {
  if (sw.ok()) return Ok();
  return Fail(StatusWordError(sw, std::move(context)));
}

}  // namespace keyward::pcsc
