// The counters of attached filters gathered for the metrics: the running
// table's counters by rule name plus what the tables reloads replaced
// counted (AttachmentRecord::retired_counts).
#pragma once

#include <vector>

#include "attachment_store.hpp"
#include "openmetrics.hpp"

namespace xb {

// Needs root (reads the pinned counter maps). An attachment whose maps are
// gone (detached meanwhile) is left out.
std::vector<AttachmentMetrics> collect_metrics(const StatePaths& state, const std::vector<AttachmentRecord>& records);

}  // namespace xb
