// The lines of a text file, one at a time: split at '\n', a trailing '\r' removed (files written
// on Windows), numbered from 1 for error messages. The views point into the caller's text.
#ifndef KEYWARD_CORE_TEXT_LINES_H_
#define KEYWARD_CORE_TEXT_LINES_H_

#include <cstddef>
#include <string_view>

namespace keyward {

class TextLines {
 public:
  explicit TextLines(std::string_view text) : text_(text) {}

  // The next line into `line`; false when the text is used up. A final line without '\n' counts.
  bool Next(std::string_view& line) {
    if (pos_ >= text_.size()) return false;
    const size_t nl = text_.find('\n', pos_);
    line = text_.substr(pos_, nl == std::string_view::npos ? std::string_view::npos : nl - pos_);
    pos_ = nl == std::string_view::npos ? text_.size() : nl + 1;
    ++number_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    return true;
  }
  size_t number() const { return number_; }            // of the line Next returned last
  bool AtEnd() const { return pos_ >= text_.size(); }  // that line was the last one

 private:
  std::string_view text_;
  size_t pos_ = 0;
  size_t number_ = 0;
};

}  // namespace keyward

#endif  // KEYWARD_CORE_TEXT_LINES_H_
