// Every example, for the test suite and `npm run synth`.
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { BasicChart } from './basic';
import { DelveWebhookChart } from './delve-webhook';
import { PodNetworkOperatorChart } from './pod-network-operator';

export const EXAMPLES: { [name: string]: (scope: Construct, id: string) => Chart } = {
  'basic': (s, id) => new BasicChart(s, id),
  'pod-network-operator': (s, id) => new PodNetworkOperatorChart(s, id),
  'delve-webhook': (s, id) => new DelveWebhookChart(s, id),
};
