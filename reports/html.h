// HTML building blocks shared by the run report and the explore index.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kz::reports {

// Escapes & < > " ' for use in element text and quoted attribute values.
std::string html_escape(std::string_view text);
// `text` cut to at most `max_chars` bytes (on a UTF-8 boundary) with "..." appended when cut.
std::string truncate(std::string_view text, size_t max_chars);
// "12.345 ms"
std::string format_ms(int64_t ns);

}  // namespace kz::reports

namespace kz::reports {
// The inline stylesheet shared by report.html and index.html.
std::string_view page_css();
}  // namespace kz::reports
