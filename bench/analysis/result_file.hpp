// The result file of `xdpbench run|search|sweep --json`.
#pragma once

namespace xb::bench {

// The version of every result file's layout (--json); `gate` reads only its own.
inline constexpr int kResultSchema = 2;

}  // namespace xb::bench
