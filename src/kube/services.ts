// A Service's cluster IP from the Kubernetes API: for dialing a Service where cluster DNS cannot resolve it.
import { isNotFound, type KubeClients } from './client.ts';

/** A Service's cluster IP, read from the Kubernetes API; null when there is no such Service. */
export type ServiceLookup = (namespace: string, name: string) => Promise<string | null>;

export function serviceLookup(kube: KubeClients): ServiceLookup {
  return async (namespace, name) => {
    try {
      const service = await kube.core.readNamespacedService({ namespace, name });
      const ip = service.spec?.clusterIP;
      return ip && ip !== 'None' ? ip : null;
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  };
}
