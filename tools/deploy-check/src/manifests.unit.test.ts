import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';

/**
 * Structural checks of deploy/k8s (no cluster here to dry-run against): every
 * document parses, kustomization lists every file, each Deployment runs an
 * app that exists, probes hit the paths the services serve, and Services
 * select pods that exist.
 */
const root = resolve(__dirname, '../../..');
const k8s = join(root, 'deploy/k8s');
type Doc = { kind: string; metadata: { name: string; namespace?: string }; spec?: any; resources?: string[] }; // eslint-disable-line @typescript-eslint/no-explicit-any

const files = readdirSync(k8s).filter((f) => f.endsWith('.yaml'));
const docs: { file: string; doc: Doc }[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(k8s, file), 'utf8')).map((d) => {
    if (d.errors.length > 0) throw new Error(`${file}: ${d.errors[0]!.message}`);
    return { file, doc: d.toJS() as Doc };
  }),
);
const deployments = docs.filter((d) => d.doc.kind === 'Deployment');

describe('deploy/k8s manifests', () => {
  it('kustomization lists every manifest', () => {
    const k = docs.find((d) => d.file === 'kustomization.yaml')!.doc;
    expect([...k.resources!].sort()).toEqual(files.filter((f) => f !== 'kustomization.yaml').sort());
  });

  it('has one Deployment per service, each running a bundle that the build produces', () => {
    expect(deployments.map((d) => d.doc.metadata.name).sort()).toEqual(['activation-policy', 'admin-api', 'cmid-ledger', 'dns-registrar', 'kms-ingress']);
    for (const { doc } of deployments) {
      const c = doc.spec.template.spec.containers[0];
      const bundle = c.command.find((a: string) => a.startsWith('dist/apps/')) as string;
      expect(existsSync(join(root, bundle.replace(/^dist\//, '').replace(/\/main\.js$/, '/src/main.ts')))).toBe(true);
      expect(doc.metadata.namespace).toBe('kmsgrid');
      expect(doc.spec.selector.matchLabels).toEqual(
        Object.fromEntries(Object.entries(doc.spec.template.metadata.labels).filter(([k]) => k in doc.spec.selector.matchLabels)),
      );
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(c.ports.some((p: { name: string }) => p.name === c.readinessProbe.httpGet.port)).toBe(true);
    }
  });

  it('exposes KMS on TCP 1688 through a LoadBalancer and scales the ingress on its own', () => {
    const svc = docs.find((d) => d.doc.kind === 'Service' && d.doc.metadata.name === 'kms')!.doc;
    expect(svc.spec.type).toBe('LoadBalancer');
    expect(svc.spec.ports[0]).toMatchObject({ port: 1688, protocol: 'TCP' });
    const ingress = deployments.find((d) => d.doc.metadata.name === 'kms-ingress')!.doc;
    expect(ingress.spec.template.metadata.labels).toMatchObject(svc.spec.selector);
    const hpa = docs.find((d) => d.doc.kind === 'HorizontalPodAutoscaler')!.doc;
    expect(hpa.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: 'kms-ingress' });
  });

  it('configures only variables the services read', () => {
    const config = docs.find((d) => d.doc.kind === 'ConfigMap')!.doc as unknown as { data: Record<string, string> };
    const known = /^(KMSGRID_[A-Z0-9_]+|NATS_URL|DATABASE_URL|OTEL_EXPORTER_OTLP_ENDPOINT)$/;
    for (const name of Object.keys(config.data)) expect(name).toMatch(known);
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const name of Object.keys(config.data).filter((n) => n.startsWith('KMSGRID_'))) expect(readme).toContain(name);
  });
});
