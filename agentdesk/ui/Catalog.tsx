import { useEffect, useState } from 'preact/hooks';
import type { AddOnKind, Product } from '../../backend/web/ui/api';
import { StoreIcon } from '../../backend/web/ui/icons';
import { errorMessage } from '../../backend/web/ui/session';
import { Loading, StatusLines } from './StatusLines';
import { formatMoney } from '../../backend/web/ui/money';
import { TableHead } from '../../backend/web/ui/TableHead';
import {
  catalog,
  eurosToMinor,
  minorToEuros,
  type AddOnInput,
  type AgeLimit,
  type ProductInput,
} from './catalogApi';

const ages: AgeLimit[] = [0, 18, 21];
const kinds: AddOnKind[] = ['accessory', 'warranty', 'bundle'];
const kindNames: Record<AddOnKind, string> = { accessory: 'Accessory', warranty: 'Warranty', bundle: 'Bundle' };

function asAge(n: number): AgeLimit {
  return n === 18 || n === 21 ? n : 0;
}

/** Catalog lets a supervisor manage the products of their own store. */
export function Catalog({ slug, storeName }: { slug: string; storeName: string }) {
  const [products, setProducts] = useState<Product[] | null>(null);
  const [error, setError] = useState('');
  const [adding, setAdding] = useState(false);
  const [notice, setNotice] = useState('');

  async function load() {
    try {
      setProducts(await catalog.list(slug));
      setError('');
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  useEffect(() => {
    void load();
  }, [slug]);

  function done(msg: string) {
    setNotice(msg);
    void load();
  }

  return (
    <section class="card catalog" aria-labelledby="catalog-title">
      <div class="catalog-head">
        <div class="tile-head">
          <StoreIcon size={20} />
          <h2 id="catalog-title">Catalog</h2>
        </div>
        <p class="muted small catalog-sub">Products on sale in {storeName}.</p>
        {!adding && (
          <button type="button" class="btn btn-primary btn-sm" onClick={() => setAdding(true)}>
            Add product
          </button>
        )}
      </div>

      {adding && (
        <ProductForm
          title="Add product"
          withSku
          submitLabel="Add product"
          onCancel={() => setAdding(false)}
          onSubmit={async (input) => {
            const created = await catalog.create(input);
            setAdding(false);
            done(`${created.name} is on sale.`);
          }}
        />
      )}

      <StatusLines notice={notice} error={error} />

      {products === null && !error ? (
        <Loading what="products" />
      ) : products && products.length === 0 ? (
        <p class="muted catalog-empty">No products on sale yet. Add the first one.</p>
      ) : products ? (
        <div class="catalog-scroll">
          <table class="catalog-table">
            <caption class="sr-only">Products of {storeName}</caption>
            <TableHead
              columns={[
                { label: 'Product' },
                { label: 'SKU' },
                { label: 'Department' },
                { label: 'Price', class: 'num' },
                { label: 'Stock', class: 'num' },
                { label: 'Age' },
                { label: 'Actions', srOnly: true },
              ]}
            />
            <tbody>
              {products.map((p) => (
                <ProductRow key={p.sku} product={p} all={products} slug={slug} onChanged={done} />
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

type Panel = 'none' | 'edit' | 'addons' | 'retire';

/** PanelButton opens or closes one of a product row's panels. */
function PanelButton({
  panel,
  open,
  label,
  danger,
  onToggle,
  children,
}: {
  panel: Exclude<Panel, 'none'>;
  open: Panel;
  label: string;
  danger?: boolean;
  onToggle: (p: Panel) => void;
  children: string;
}) {
  return (
    <button
      type="button"
      class={danger ? 'btn btn-ghost btn-sm catalog-danger' : 'btn btn-ghost btn-sm'}
      aria-expanded={open === panel}
      aria-label={label}
      onClick={() => onToggle(panel)}
    >
      {children}
    </button>
  );
}

function ProductRow({
  product: p,
  all,
  slug,
  onChanged,
}: {
  product: Product;
  all: Product[];
  slug: string;
  onChanged: (msg: string) => void;
}) {
  const [panel, setPanel] = useState<Panel>('none');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const toggle = (x: Panel) => {
    setError('');
    setPanel(panel === x ? 'none' : x);
  };

  async function retire() {
    setBusy(true);
    setError('');
    try {
      await catalog.retire(p.sku);
      onChanged(`${p.name} was retired.`);
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  }

  return (
    <>
      <tr class={panel !== 'none' ? 'is-open' : undefined}>
        <th scope="row" class="catalog-name">
          {p.name}
        </th>
        <td>
          <code>{p.sku}</code>
        </td>
        <td>{p.department}</td>
        <td class="num">{formatMoney(p.priceMinor, p.currency)}</td>
        <td class={p.stock === 0 ? 'num catalog-out' : 'num'}>{p.stock}</td>
        <td>{p.ageLimit > 0 ? <span class="badge badge-age">{p.ageLimit}+</span> : <span class="muted">—</span>}</td>
        <td class="catalog-actions">
          <PanelButton panel="edit" open={panel} label={`Edit ${p.name}`} onToggle={toggle}>
            Edit
          </PanelButton>
          <PanelButton panel="addons" open={panel} label={`Add-ons of ${p.name}`} onToggle={toggle}>
            Add-ons
          </PanelButton>
          <PanelButton panel="retire" open={panel} label={`Retire ${p.name}`} onToggle={toggle} danger>
            Retire
          </PanelButton>
        </td>
      </tr>
      {panel !== 'none' && (
        <tr class="catalog-panel">
          <td colSpan={7}>
            {panel === 'edit' && (
              <ProductForm
                title={`Edit ${p.name}`}
                initial={p}
                submitLabel="Save changes"
                onCancel={() => setPanel('none')}
                onSubmit={async ({ sku: _sku, ...patch }) => {
                  await catalog.update(p.sku, patch);
                  setPanel('none');
                  onChanged(`${patch.name} was saved.`);
                }}
              />
            )}
            {panel === 'addons' && (
              <AddOnsEditor
                product={p}
                others={all.filter((o) => o.sku !== p.sku)}
                slug={slug}
                onCancel={() => setPanel('none')}
                onSaved={() => {
                  setPanel('none');
                  onChanged(`Add-ons of ${p.name} were saved.`);
                }}
              />
            )}
            {panel === 'retire' && (
              <div class="catalog-confirm" role="group" aria-label={`Retire ${p.name}`}>
                <p>
                  Retire <strong>{p.name}</strong>? It leaves the store and shoppers can no longer buy it.
                </p>
                <div class="catalog-buttons">
                  <button type="button" class="btn btn-primary btn-sm catalog-danger-fill" disabled={busy} onClick={retire}>
                    {busy ? 'Retiring…' : 'Retire product'}
                  </button>
                  <button type="button" class="btn btn-secondary btn-sm" disabled={busy} onClick={() => setPanel('none')}>
                    Keep it
                  </button>
                </div>
                {error && (
                  <p class="status status-error" role="alert">
                    {error}
                  </p>
                )}
              </div>
            )}
          </td>
        </tr>
      )}
    </>
  );
}

interface FormState {
  sku: string;
  name: string;
  description: string;
  department: string;
  price: string;
  stock: string;
  ageLimit: AgeLimit;
}

const fieldNames: [keyof FormState, RegExp][] = [
  ['sku', /\bsku\b/i],
  ['name', /\bname\b/i],
  ['description', /description/i],
  ['department', /department/i],
  ['price', /price/i],
  ['stock', /stock/i],
  ['ageLimit', /age/i],
];

let formSeq = 0;

function ProductForm({
  title,
  initial,
  withSku = false,
  submitLabel,
  onSubmit,
  onCancel,
}: {
  title: string;
  initial?: Product;
  withSku?: boolean;
  submitLabel: string;
  onSubmit: (input: ProductInput) => Promise<void>;
  onCancel: () => void;
}) {
  const [id] = useState(() => `pf${++formSeq}`);
  const [f, setF] = useState<FormState>(() => ({
    sku: initial?.sku ?? '',
    name: initial?.name ?? '',
    description: initial?.description ?? '',
    department: initial?.department ?? '',
    price: initial ? minorToEuros(initial.priceMinor) : '',
    stock: initial ? String(initial.stock) : '0',
    ageLimit: asAge(initial?.ageLimit ?? 0),
  }));
  const [error, setError] = useState('');
  const [bad, setBad] = useState<keyof FormState | null>(null);
  const [busy, setBusy] = useState(false);

  const set = (k: keyof FormState) => (e: Event) =>
    setF({ ...f, [k]: (e.currentTarget as HTMLInputElement).value });

  function fail(field: keyof FormState | null, msg: string) {
    setBad(field);
    setError(msg);
  }

  async function submit(e: Event) {
    e.preventDefault();
    const priceMinor = eurosToMinor(f.price);
    const stock = Number(f.stock);
    if (withSku && !f.sku.trim()) return fail('sku', 'Enter a SKU.');
    if (!f.name.trim()) return fail('name', 'Enter a name.');
    if (priceMinor === null) return fail('price', 'Enter the price in euros, like 19.99.');
    if (!f.stock.trim() || !Number.isInteger(stock) || stock < 0) return fail('stock', 'Stock is a whole number, 0 or more.');
    setBusy(true);
    fail(null, '');
    try {
      await onSubmit({
        sku: f.sku.trim(),
        name: f.name.trim(),
        description: f.description.trim(),
        department: f.department.trim(),
        priceMinor,
        stock,
        ageLimit: f.ageLimit,
      });
    } catch (err) {
      const msg = errorMessage(err);
      fail(fieldNames.find(([, re]) => re.test(msg))?.[0] ?? null, msg);
      setBusy(false);
    }
  }

  const inv = (k: keyof FormState) => (bad === k ? true : undefined);
  const desc = (k: keyof FormState) => (bad === k ? `${id}-err` : undefined);

  return (
    <form class="catalog-form" onSubmit={submit} aria-labelledby={`${id}-title`} noValidate>
      <h3 id={`${id}-title`} class="catalog-form-title">
        {title}
      </h3>
      <div class="catalog-fields">
        {withSku && (
          <div class="field">
            <label for={`${id}-sku`}>SKU</label>
            <input id={`${id}-sku`} value={f.sku} onInput={set('sku')} required autoComplete="off" aria-invalid={inv('sku')} aria-describedby={desc('sku')} />
          </div>
        )}
        <div class="field">
          <label for={`${id}-name`}>Name</label>
          <input id={`${id}-name`} value={f.name} onInput={set('name')} required aria-invalid={inv('name')} aria-describedby={desc('name')} />
        </div>
        <div class="field">
          <label for={`${id}-dept`}>Department</label>
          <input id={`${id}-dept`} value={f.department} onInput={set('department')} aria-invalid={inv('department')} aria-describedby={desc('department')} />
        </div>
        <div class="field">
          <label for={`${id}-price`}>Price (€)</label>
          <input
            id={`${id}-price`}
            value={f.price}
            onInput={set('price')}
            inputMode="decimal"
            placeholder="19.99"
            required
            aria-invalid={inv('price')}
            aria-describedby={desc('price')}
          />
        </div>
        <div class="field">
          <label for={`${id}-stock`}>Stock</label>
          <input
            id={`${id}-stock`}
            type="number"
            min={0}
            step={1}
            value={f.stock}
            onInput={set('stock')}
            required
            aria-invalid={inv('stock')}
            aria-describedby={desc('stock')}
          />
        </div>
        <div class="field">
          <label for={`${id}-age`}>Age limit</label>
          <select
            id={`${id}-age`}
            value={String(f.ageLimit)}
            onChange={(e) => setF({ ...f, ageLimit: asAge(Number(e.currentTarget.value)) })}
            aria-invalid={inv('ageLimit')}
            aria-describedby={desc('ageLimit')}
          >
            {ages.map((a) => (
              <option key={a} value={String(a)}>
                {a === 0 ? 'None' : `${a}+`}
              </option>
            ))}
          </select>
        </div>
        <div class="field catalog-wide">
          <label for={`${id}-desc`}>Description</label>
          <textarea id={`${id}-desc`} value={f.description} onInput={set('description')} rows={2} aria-invalid={inv('description')} aria-describedby={desc('description')} />
        </div>
      </div>
      {error && (
        <p id={`${id}-err`} class="status status-error" role="alert">
          {error}
        </p>
      )}
      <FormButtons label={submitLabel} busy={busy} onCancel={onCancel} />
    </form>
  );
}

interface Row extends AddOnInput {
  key: number;
}

let rowSeq = 0;

function AddOnsEditor({
  product,
  others,
  slug,
  onSaved,
  onCancel,
}: {
  product: Product;
  others: Product[];
  slug: string;
  onSaved: () => void;
  onCancel: () => void;
}) {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const base = `ao-${product.sku.replace(/[^A-Za-z0-9_-]/g, '_')}`;

  useEffect(() => {
    catalog
      .addOns(slug, product.sku)
      .then((list) =>
        setRows(list.map((a) => ({ key: ++rowSeq, sku: a.product.sku, kind: a.kind, reason: a.reason }))),
      )
      .catch((e: unknown) => {
        setRows([]);
        setError(errorMessage(e));
      });
  }, [slug, product.sku]);

  function update(key: number, patch: Partial<AddOnInput>) {
    setRows((rows ?? []).map((r) => (r.key === key ? { ...r, ...patch } : r)));
  }

  async function save(e: Event) {
    e.preventDefault();
    if (!rows) return;
    if (rows.some((r) => !r.sku)) return setError('Pick a product for every add-on.');
    setBusy(true);
    setError('');
    try {
      await catalog.setAddOns(
        product.sku,
        rows.map(({ sku, kind, reason }) => ({ sku, kind, reason: reason.trim() })),
      );
      onSaved();
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <form class="catalog-form" onSubmit={save} aria-labelledby={`${base}-title`}>
      <h3 id={`${base}-title`} class="catalog-form-title">
        Add-ons suggested with {product.name}
      </h3>
      {rows === null ? (
        <Loading what="add-ons" />
      ) : (
        <>
          {rows.length === 0 && <p class="muted small">No add-ons yet.</p>}
          <ul class="addon-list">
            {rows.map((r, i) => (
              <li key={r.key} class="addon-row">
                <SelectField
                  id={`${base}-p${r.key}`}
                  label={`Product ${i + 1}`}
                  value={r.sku}
                  options={[
                    { value: '', label: 'Choose a product…' },
                    ...others.map((o) => ({ value: o.sku, label: `${o.name} (${o.sku})` })),
                    ...(r.sku && !others.some((o) => o.sku === r.sku) ? [{ value: r.sku, label: r.sku }] : []),
                  ]}
                  onChange={(sku) => update(r.key, { sku })}
                />
                <SelectField
                  id={`${base}-k${r.key}`}
                  label="Kind"
                  value={r.kind}
                  options={kinds.map((k) => ({ value: k, label: kindNames[k] }))}
                  onChange={(kind) => update(r.key, { kind: kind as AddOnKind })}
                />
                <div class="field addon-reason">
                  <label for={`${base}-r${r.key}`}>Reason</label>
                  <input
                    id={`${base}-r${r.key}`}
                    value={r.reason}
                    placeholder="Why it goes well with this product"
                    onInput={(e) => update(r.key, { reason: e.currentTarget.value })}
                  />
                </div>
                <button
                  type="button"
                  class="btn btn-ghost btn-sm catalog-danger addon-remove"
                  aria-label={`Remove add-on ${i + 1}`}
                  onClick={() => setRows(rows.filter((x) => x.key !== r.key))}
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
          <button
            type="button"
            class="btn btn-secondary btn-sm"
            disabled={others.length === 0}
            onClick={() => setRows([...rows, { key: ++rowSeq, sku: '', kind: 'accessory', reason: '' }])}
          >
            Add an add-on
          </button>
        </>
      )}
      {error && (
        <p class="status status-error" role="alert">
          {error}
        </p>
      )}
      <FormButtons label="Save add-ons" busy={busy} disabled={rows === null} onCancel={onCancel} />
    </form>
  );
}

/** SelectField is a labelled field choosing one of options by value. */
function SelectField(props: { id: string; label: string; value: string; options: { value: string; label: string }[]; onChange(value: string): void }) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

/** FormButtons are a catalog form's submit button (label, "Saving…" while busy) and Cancel. */
function FormButtons({ label, busy, disabled, onCancel }: { label: string; busy: boolean; disabled?: boolean; onCancel(): void }) {
  return (
    <div class="catalog-buttons">
      <button type="submit" class="btn btn-primary btn-sm" disabled={busy || disabled}>
        {busy ? 'Saving…' : label}
      </button>
      <button type="button" class="btn btn-secondary btn-sm" disabled={busy} onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
