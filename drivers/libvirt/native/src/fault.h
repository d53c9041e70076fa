// libvirt's errors as JS Errors that keep libvirt's own numbers.
#pragma once
#include <napi.h>
#include <string>

struct Fault {
  int code = 0;    // virErrorNumber
  int domain = 0;  // virErrorDomain: the part of libvirt that raised it
  int level = 0;   // virErrorLevel
  std::string message;

  Napi::Error ToError(Napi::Env env) const;
};

// libvirt keeps its last error per thread, and every public call clears it on entry: a worker must
// read it in its own thread before it calls libvirt again. Fail() does that and answers false, so a
// failed call reads `if (virX(...) < 0) return Fail();`.
bool Fail();
// A failure that is ours, not libvirt's (a closed handle), with the code libvirt would give.
bool Fail(int code, const std::string& message);
// The code of this thread's last libvirt error (VIR_ERR_OK if none), to tell a failure that is no fault.
int LastErrorCode();
// The fault the last Fail() on this thread recorded.
Fault TakeFault();

// Rejects at once, on the JS thread, without a worker.
Napi::Promise Rejected(Napi::Env env, int code, const std::string& message);
