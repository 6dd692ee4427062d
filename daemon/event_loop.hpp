// The daemon's io_context, with a way to end it in the right order.
#pragma once

#include <boost/asio/io_context.hpp>

namespace smsgw::daemon {

/// An io_context whose pending handlers can be destroyed before the objects they point into.
/// Suspended coroutines (an MO waiting for the store, a session's reader) live in handlers
/// and refer to the application by reference; a plain io_context destroys them in its own
/// destructor, after the application that declared it first is gone.
class event_loop : public boost::asio::io_context {
 public:
  using boost::asio::io_context::io_context;

  /// Destroys every handler not run yet, and with them the frames of suspended coroutines.
  /// Call after run() has returned; the loop cannot run again.
  void discard_pending() { shutdown(); }
};

}  // namespace smsgw::daemon
