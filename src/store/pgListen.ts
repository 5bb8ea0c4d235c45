import { Client } from 'pg';
import type { Logger } from '../log';

export interface PgListenOptions {
  databaseUrl: string;
  /** Channels to LISTEN on; names are the project's own constants, never input. */
  channels: readonly string[];
  /** Shown in pg_stat_activity, so an operator can tell the listening connections apart. */
  applicationName: string;
  /** How log lines name this listener ("outbox listener"). */
  label: string;
  log: Logger;
  onNotification(channel: string, payload: string | undefined): void;
  /**
   * Called each time listening has resumed after the connection dropped (not after the first start).
   * Notifications sent while nobody listened are lost: this is where the owner looks for what it missed.
   */
  onReconnected?(): void;
  /** Wait before each attempt to reconnect. */
  reconnectMs?: number;
}

/**
 * One connection that LISTENs on some channels and reconnects, every `reconnectMs`, for as long as it
 * is not stopped: PostgreSQL restarting, a failover, or an idle connection cut by the network. The
 * outbox dispatcher and the reminders' change listener each hold one.
 */
export class PgListener {
  private client: Client | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly o: PgListenOptions) {}

  /** Resolves once listening; rejects if the first connection fails (the caller decides what that means). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.listen();
  }

  /** Stops reconnecting and closes the connection. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => undefined);
  }

  /** True while a connection is listening. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  private async listen(): Promise<void> {
    const client = new Client({ connectionString: this.o.databaseUrl, application_name: this.o.applicationName });
    client.on('notification', (msg) => this.o.onNotification(msg.channel, msg.payload));
    client.on('error', (err) => {
      this.o.log.warn({ err: err.message }, `${this.o.label} lost its connection`);
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    try {
      await client.connect();
      for (const channel of this.o.channels) await client.query(`LISTEN ${channel}`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.stopped) {
      // Stopped while this connection was being made: nobody will end it later.
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
  }

  private reconnect(dead: Client): void {
    if (this.client !== dead) return;
    this.client = undefined;
    dead.end().catch(() => undefined);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopped) return;
      this.listen().then(
        () => {
          if (this.client) this.o.onReconnected?.();
        },
        (err: unknown) => {
          this.o.log.warn({ err: err instanceof Error ? err.message : String(err) }, `${this.o.label} could not reconnect; retrying`);
          this.scheduleReconnect();
        },
      );
    }, this.o.reconnectMs ?? 2_000);
    this.reconnectTimer.unref();
  }
}
