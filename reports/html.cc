#include "reports/html.h"

#include <fmt/format.h>

namespace kz::reports {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string truncate(std::string_view text, size_t max_chars) {
  if (text.size() <= max_chars) return std::string(text);
  size_t cut = max_chars;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) cut--;  // not inside a UTF-8 sequence
  return std::string(text.substr(0, cut)) + "...";
}

std::string format_ms(int64_t ns) {
  return fmt::format("{:.3f} ms", static_cast<double>(ns) / 1e6);
}

}  // namespace kz::reports

namespace kz::reports {

std::string_view page_css() {
  return R"CSS(
body{font:14px/1.4 -apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:20px;color:#1f2328;background:#fff}
h1{font-size:20px;margin:0 0 8px}h2{font-size:16px;margin:22px 0 8px;border-bottom:1px solid #d0d7de}
.verdict{padding:10px 14px;border-radius:6px;font-size:15px;margin:8px 0}
.pass{background:#dafbe1;border:1px solid #2da44e}.fail{background:#ffebe9;border:1px solid #cf222e}
table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.v{font-family:monospace;font-size:12px;max-width:520px;word-break:break-all}
tr.bad td{background:#ffebe9}pre{background:#f6f8fa;padding:10px;overflow:auto;font-size:12px}
.note{color:#57606a;font-size:13px}.scroll{overflow:auto;border:1px solid #d0d7de;max-height:80vh}
.legend span{display:inline-block;margin-right:12px;font-size:12px}.legend i{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle;border:1px solid #888}
.pics{display:flex;flex-wrap:wrap;gap:12px}.pic{border:1px solid #d0d7de;border-radius:6px;padding:6px;width:300px}
.pic svg{width:100%;height:auto;max-height:260px}.pic p{margin:0 0 4px;font-size:12px}
svg text{font-family:Helvetica,Arial,sans-serif}
#timeline .lane{fill:#fafafa;stroke:#eee}#timeline .lane.cl{fill:#f4f7fb}
#timeline .lbl{font-size:12px;fill:#1f2328}#timeline .ax{font-size:10px;fill:#57606a;text-anchor:middle}
#timeline .in{font-size:10px;fill:#111;pointer-events:none}
#timeline .tick{stroke:#e5e5e5}#timeline .fl{stroke:#cf222e;stroke-opacity:.25;stroke-dasharray:3 3}
#timeline .heal{stroke:#1a7f37;stroke-width:2;stroke-dasharray:6 3}
.st.up,.k-up{fill:#eeeeee;background:#eeeeee}.st.looking,.k-looking{fill:#f2d16b;background:#f2d16b}
.st.following,.k-following{fill:#9cc3e6;background:#9cc3e6}.st.leading,.k-leading{fill:#2e8b57;background:#2e8b57}
.st.standalone,.k-standalone{fill:#3fb950;background:#3fb950}.st.crashed,.k-crashed{fill:#6e7781;background:#6e7781}
.st.powered-off,.k-powered-off{fill:#24292f;background:#24292f}.st.paused,.k-paused{fill:#fff;background:#fff;stroke:#57606a;stroke-dasharray:3 2}
#timeline .st.leading+.in,#timeline .st.crashed+.in,#timeline .st.powered-off+.in{fill:#fff}
.op.ok,.k-ok{fill:#2da44e;background:#2da44e}.op.fail,.k-fail{fill:#cf222e;background:#cf222e}
.op.info,.k-info,.op.pending{fill:#d97706;background:#d97706}
.op.witness{stroke:#000;stroke-width:2}#timeline .wl{font-size:11px;font-weight:bold;fill:#000;paint-order:stroke;stroke:#fff200;stroke-width:3px}#timeline .band{fill:#fff200;fill-opacity:.35}
.f,.k-fault{fill:#cf222e;fill-opacity:.55;background:#e88}.part,.k-part{fill:#8250df;fill-opacity:.35;background:#c4b0f0}
.cut,.k-cut{fill:#8250df;background:#8250df}.nf.clock,.k-clock{fill:#0969da;background:#0969da}
.nf.disk,.k-disk{fill:#953800;background:#953800}.nf.clog,.k-clog{fill:#bf8700;background:#bf8700}
.mk{fill:#cf222e}.mk.restart{fill:#1a7f37}.mk.session{fill:#8250df}.mk.clock{fill:#0969da}.mk.disk{fill:#953800}
.mk.skip{fill:#8c959f}.mk.reset{fill:#bf8700}
)CSS";
}

}  // namespace kz::reports
