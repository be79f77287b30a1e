// `xdpbench agent`: what runs on each host of a lab, started by the
// controller over SSH (agent_channel.hpp), speaking JSON lines on stdin and
// stdout (agent_protocol.hpp). It sets the generator and the hooks up on the
// host's own interfaces, journals every change first (host_journal.hpp),
// and undoes all of it when its stdin closes, whyever it closes.
#pragma once

#include <istream>

namespace xb::bench {

// Serves requests until "bye" or the end of input; returns the exit code.
// Replies go to reply_fd alone: the caller points its stdout elsewhere
// (stderr), so that nothing a tool prints can break a reply.
int run_agent(std::istream& in, int reply_fd);

// SIGPIPE and SIGHUP ignored (a lost controller is the end of input, and
// the agent undoes before it leaves); SIGINT and SIGTERM end the input.
void install_agent_signals();

}  // namespace xb::bench
