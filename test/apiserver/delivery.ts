/**
 * The fleet examples' delivery objects (Argo CD's ApplicationSet and bootstrap Application, Flux's
 * GitRepository and Kustomization), one scenario each, for the API-server tier, which validates them against
 * the CRDs of the Argo CD and Flux releases that test/apiserver/crds.sh pins. Their team charts are
 * examples (examples/index.ts) and are applied as such.
 */
import { App, Chart } from 'cdk8s';
import { ArgoCdChart, BootstrapChart } from '../../examples/fleet-argocd';
import { FluxChart } from '../../examples/fleet-flux';

export function deliveryCharts(app: App): { [name: string]: Chart } {
  return {
    'delivery-argocd-applicationset': new ArgoCdChart(app, 'delivery-argocd-applicationset'),
    'delivery-argocd-bootstrap': new BootstrapChart(app, 'delivery-argocd-bootstrap'),
    'delivery-flux-system': new FluxChart(app, 'delivery-flux-system'),
  };
}
