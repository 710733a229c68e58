/**
 * `--rate-per-connection` and `--rate-total`: what the body sender asks before each read of a
 * file chunk. Each connection has its own bucket (if a per-connection rate is set), and all share
 * the total one (if set), which hands out turns fairly (see fair-bucket.ts). A drain with
 * `--drain-lift-limits on` lifts both, so the drain ends as soon as the clients allow.
 *
 * Reloadable: a reload's rates apply to every connection at its next chunk, those in flight
 * included (a total rate is the uplink's share, which a download begun before the reload must
 * respect too). A connection that began while no rate at all was set is not paced (it has no
 * pacer, so an unlimited ebb costs nothing per chunk), and keeps going unpaced after a reload
 * that sets one; a connection that began with any rate set follows every later reload.
 */
import { UNPACED, type BodyPacer } from '../http/send-body.js';
import { FairBucket, quantumFor, type Grant } from './fair-bucket.js';

export interface RateSettings {
  readonly ratePerConnection: number | null;
  readonly rateTotal: number | null;
}

export interface RateStatus {
  readonly ratePerConnection: number | null;
  readonly rateTotal: number | null;
  /** During a drain with --drain-lift-limits on. */
  readonly lifted: boolean;
  /** Connections waiting for their turn of the total rate right now. */
  readonly waitingForTotal: number;
}

/** A per-connection bucket's grant: an eighth of a second's worth, at least 1 KiB. */
function perConnectionQuantum(rateBytesPerSec: number): number {
  return Math.min(256 * 1024, Math.max(1024, Math.round(rateBytesPerSec / 8)));
}

export class RateLimits {
  private settings: RateSettings;
  private total: FairBucket | null = null;
  private lifted = false;

  constructor(settings: RateSettings) {
    this.settings = settings;
    this.configure(settings);
  }

  /** A reload's rates: the total applies at once, the per-connection one at each next chunk. */
  configure(settings: RateSettings): void {
    this.settings = settings;
    const rate = settings.rateTotal;
    if (rate === null) this.total?.lift();
    if (rate === null || this.lifted) this.total = null;
    else if (this.total === null) this.total = new FairBucket(rate, quantumFor(rate));
    else this.total.setRate(rate, quantumFor(rate));
  }

  lift(): void {
    this.lifted = true;
    this.total?.lift();
    this.total = null;
  }

  /** The pacer of a new connection, from the rates in force now. */
  pacerFor(): BodyPacer {
    const rate = this.settings.ratePerConnection;
    if (this.lifted || (rate === null && this.settings.rateTotal === null)) return UNPACED;
    return new ConnectionPacer(this);
  }

  /** The per-connection rate in force (read by each connection's pacer before each chunk). */
  get ratePerConnection(): number | null {
    return this.settings.ratePerConnection;
  }

  /** The shared bucket, unless there is none or limits are lifted. */
  get totalBucket(): FairBucket | null {
    return this.total;
  }

  get isLifted(): boolean {
    return this.lifted;
  }

  get status(): RateStatus {
    return {
      ratePerConnection: this.settings.ratePerConnection,
      rateTotal: this.settings.rateTotal,
      lifted: this.lifted,
      waitingForTotal: this.total?.waiting ?? 0,
    };
  }
}

class ConnectionPacer implements BodyPacer {
  private cancelPending: (() => void) | null = null;
  private own: FairBucket | null = null;
  private ownRate: number | null = null;

  constructor(private readonly limits: RateLimits) {}

  /** This connection's bucket at the per-connection rate in force now (a reload may change it). */
  private ownBucket(): FairBucket | null {
    const rate = this.limits.ratePerConnection;
    if (rate === this.ownRate) return this.own;
    if (rate === null) this.own = null;
    else if (this.own === null) this.own = new FairBucket(rate, perConnectionQuantum(rate));
    else this.own.setRate(rate, perConnectionQuantum(rate));
    this.ownRate = rate;
    return this.own;
  }

  acquire(wantBytes: number, grant: Grant): void {
    const own = this.limits.isLifted ? null : this.ownBucket();
    if (own === null) {
      this.fromTotal(wantBytes, grant);
      return;
    }
    this.ask(own, wantBytes, (ownBytes) =>
      this.fromTotal(ownBytes, (bytes) => {
        own.refund(ownBytes - bytes);
        grant(bytes);
      }),
    );
  }

  private fromTotal(wantBytes: number, grant: Grant): void {
    const total = this.limits.totalBucket;
    if (total === null) grant(wantBytes);
    else this.ask(total, wantBytes, grant);
  }

  /** Asks `bucket`; keeps the cancel function only while the grant is still to come. */
  private ask(bucket: FairBucket, wantBytes: number, grant: Grant): void {
    let granted = false;
    const cancel = bucket.acquire(wantBytes, (bytes) => {
      granted = true;
      this.cancelPending = null;
      grant(bytes);
    });
    if (!granted) this.cancelPending = cancel;
  }

  cancel(): void {
    this.cancelPending?.();
    this.cancelPending = null;
  }
}
