// Counted libvirt handles: a worker copies one and so keeps the object alive through its call even
// if JS closes or drops it meanwhile; the last copy released does libvirt's unref.
#pragma once
#include <libvirt/libvirt.h>

#include <memory>

using ConnHandle = std::shared_ptr<virConnect>;
using DomainHandle = std::shared_ptr<virDomain>;

// Takes over one reference the caller owns (a freshly opened or looked-up object).
inline ConnHandle AdoptConn(virConnectPtr c) {
  return ConnHandle(c, [](virConnectPtr p) { virConnectClose(p); });
}
inline DomainHandle AdoptDomain(virDomainPtr d) {
  return DomainHandle(d, [](virDomainPtr p) { virDomainFree(p); });
}
