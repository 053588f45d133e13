/** `GET /v1/auth/whoami`: what the key sent with the request may do. */
export class WhoAmIDto {
  /** Whether this server requires API keys (BERTH_API_KEYS / BERTH_ADMIN_KEYS). */
  auth_enabled!: boolean;
  /** The key's scope: `admin` (everything; also every request when keys are off), `inference`, or `none` (no key sent). */
  scope!: 'admin' | 'inference' | 'none';
  /** Whether the key may call the inference routes and read models. */
  can_infer!: boolean;
  /** Whether the key may upload files, start and cancel jobs, and activate, roll back, load or unload models. */
  can_administer!: boolean;
  /** Whether /metrics (and /metrics/summary) answer without a key. */
  public_metrics!: boolean;
}
