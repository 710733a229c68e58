/**
 * `POST /reload` and `POST /upgrade`: each answers once the change is done or refused, with
 * its outcome as JSON (200 when it went through, 422 when nothing was changed), so `ebb reload`
 * and `ebb upgrade` print what happened and exit with the right status.
 */
import type { ReloadOutcome, UpgradeOutcome } from '../lifecycle/change-outcome.js';
import { sendJson, type AdminRoute } from './routes.js';

export interface ChangeControl {
  reload(): Promise<ReloadOutcome>;
  upgrade(): Promise<UpgradeOutcome>;
}

export function changeRoutes(control: ChangeControl): AdminRoute[] {
  return [
    {
      method: 'POST',
      path: '/reload',
      async handle(_request, response) {
        const outcome = await control.reload();
        sendJson(response, outcome.kind === 'applied' ? 200 : 422, outcome);
      },
    },
    {
      method: 'POST',
      path: '/upgrade',
      async handle(_request, response) {
        const outcome = await control.upgrade();
        sendJson(response, outcome.kind === 'upgraded' ? 200 : 422, outcome);
      },
    },
  ];
}
