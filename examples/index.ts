// Every example, for the test suite and `npm run synth`.
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { BasicChart } from './basic';
import { DelveWebhookChart } from './delve-webhook';
import { PaymentsTeamChart, SearchTeamChart } from './fleet-argocd';
import { PlatformTeamChart } from './fleet-flux';
import { PodNetworkOperatorChart } from './pod-network-operator';
import { ServiceBehindNetworkPoliciesChart } from './service-behind-network-policies';

export const EXAMPLES: { [name: string]: (scope: Construct, id: string) => Chart } = {
  'basic': (s, id) => new BasicChart(s, id),
  'pod-network-operator': (s, id) => new PodNetworkOperatorChart(s, id),
  'delve-webhook': (s, id) => new DelveWebhookChart(s, id),
  'service-behind-network-policies': (s, id) => new ServiceBehindNetworkPoliciesChart(s, id),
  // The fleet examples' team charts (their Argo CD and Flux objects are in fleet-argocd.ts and fleet-flux.ts).
  'fleet-argocd-payments': (s, id) => new PaymentsTeamChart(s, id),
  'fleet-argocd-search': (s, id) => new SearchTeamChart(s, id),
  'fleet-flux-platform': (s, id) => new PlatformTeamChart(s, id),
};
