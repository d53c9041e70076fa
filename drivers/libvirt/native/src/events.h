// libvirt's event loop and the delivery of what it reports (lifecycle events, a connection closed
// under us) to JS.
#pragma once
#include <libvirt/libvirt.h>
#include <napi.h>

#include <memory>
#include <mutex>
#include <string>

// Registers libvirt's default event loop implementation. Must come before the first connection is
// opened: the remote driver hooks its socket and keepalive timer into the loop registered at open.
void RegisterEventLoop();
// Starts the thread that runs the loop, once per process. It is a plain thread, not a libuv handle,
// so it never keeps Node alive; it only ever touches libvirt and the Sinks below.
void EnsureEventThread();

struct Message;

// Where one connection's callbacks deliver: a thread-safe function into JS. libvirt's callbacks run
// on the loop thread, the Sink may be released on the JS thread at any moment (close, or Node tearing
// the environment down), so every delivery checks `live_` under the lock.
class Sink {
 public:
  // Created on the JS thread; `callback(event)` gets {kind:'lifecycle', uuid, name, event, detail}
  // or {kind:'close', reason}. The function is unref'd: an open connection does not keep Node alive.
  static std::shared_ptr<Sink> Create(Napi::Env env, Napi::Function callback);
  // Stops delivery and lets the thread-safe function go. JS thread only.
  void Release();

  void Lifecycle(const std::string& uuid, const std::string& name, int event, int detail);
  void Closed(int reason);

  // libvirt's callback registrations for this connection, for deregistering them on close.
  int lifecycleId = -1;
  bool closeRegistered = false;

 private:
  void Deliver(Message* message);
  std::mutex lock_;
  bool live_ = false;
  Napi::ThreadSafeFunction tsfn_;
};

// The opaque pointer libvirt's callbacks get: a heap copy of the shared_ptr, freed by libvirt's
// free callback when it drops the registration, so the Sink outlives every call into it.
void* SinkOpaque(const std::shared_ptr<Sink>& sink);
void FreeSinkOpaque(void* opaque);
int OnLifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void* opaque);
void OnClose(virConnectPtr conn, int reason, void* opaque);
