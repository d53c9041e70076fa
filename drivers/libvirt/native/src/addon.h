#pragma once
#include <napi.h>

#include <string>

#include "handles.h"

// Per-environment data: the Domain class, so workers can hand JS new Domain objects.
struct AddonData {
  Napi::FunctionReference domainClass;
};

// A domain as a worker found it: the handle and what JS reads without a call.
struct DomainRef {
  DomainHandle handle;
  std::string uuid;
  std::string name;
};

// Takes over a reference the caller owns (worker thread).
DomainRef Describe(virDomainPtr d);
// The JS Domain for it (JS thread).
Napi::Object NewDomain(Napi::Env env, const DomainRef& ref);

void InitConnection(Napi::Env env, Napi::Object exports);
Napi::Function InitDomain(Napi::Env env);
void InitConstants(Napi::Env env, Napi::Object exports);
