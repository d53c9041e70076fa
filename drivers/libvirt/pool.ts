import { LibvirtConnection } from './connection.js';

/** One open connection per hypervisor URI, shared by whoever drives that hypervisor. */
export class ConnectionPool {
  private readonly connections = new Map<string, LibvirtConnection>();

  get(uri: string): LibvirtConnection {
    let connection = this.connections.get(uri);
    if (!connection) this.connections.set(uri, (connection = new LibvirtConnection(uri)));
    return connection;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.connections.values()].map((c) => c.close()));
    this.connections.clear();
  }
}
