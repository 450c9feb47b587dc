import { IModelVersion } from '../api';
import { ScoringPayload } from '../api/deployments';

/** One input of the Try it form. */
export interface ISignatureField {
  /** Column name; for a tensor input, `[i]`. */
  name: string;
  /** MLflow type: double, float, long, integer, boolean, string, ... */
  type: string;
  required: boolean;
}

/**
 * What the form is built from: the model's inputs, read from its
 * signature, and how a row of values becomes a scoring payload.
 */
export interface IInputSchema {
  /** `columns`: named columns (a `dataframe_split`); `tensor`: one array per row (`inputs`). */
  kind: 'columns' | 'tensor';
  fields: ISignatureField[];
}

const NUMERIC = new Set([
  'double',
  'float',
  'long',
  'integer',
  'int32',
  'int64'
]);
const INTEGER = new Set(['long', 'integer', 'int32', 'int64', 'int8', 'int16']);

export function isNumericType(type: string): boolean {
  return NUMERIC.has(type) || /^(u?int|float)\d*$/.test(type);
}

/** The most tensor elements the form shows inputs for. */
const MAX_TENSOR_FIELDS = 64;

// `'a': double (required)`, `"it's": long (optional)` or, unnamed, `double (required)`.
const COLUMN =
  /(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)")?\s*:?\s*([A-Za-z_][\w]*(?:\([^)]*\))?)\s*\((required|optional)\)/g;
const TENSOR = /^\s*\[\s*Tensor\('([^']+)',\s*\(([^)]*)\)\)\s*\]\s*$/;

/**
 * Parse the signature's inputs as the registry lists them: MLflow's
 * `str(schema)`, e.g. `['a': double (required), 'b': long (required)]`
 * or `[Tensor('float64', (-1, 4))]`. A JSON list of `{name, type}` (the
 * form MLflow stores in MLmodel) is taken too. Null when nothing usable
 * can be read: the form then falls back to a raw JSON payload.
 */
export function parseSignatureInputs(inputs: unknown): IInputSchema | null {
  if (Array.isArray(inputs)) {
    return fromSpecs(inputs);
  }
  if (typeof inputs !== 'string' || inputs.trim() === '') {
    return null;
  }
  const text = inputs.trim();
  if (text.startsWith('[{')) {
    try {
      return fromSpecs(JSON.parse(text));
    } catch {
      // Not JSON after all: try MLflow's repr below.
    }
  }
  const tensor = TENSOR.exec(text);
  if (tensor) {
    const dims = tensor[2]
      .split(',')
      .map(part => part.trim())
      .filter(part => part !== '')
      .map(Number);
    const width = dims.length >= 2 ? dims[dims.length - 1] : 1;
    if (!(width > 0) || dims.length > 2 || width > MAX_TENSOR_FIELDS) {
      return null;
    }
    const type = tensor[1];
    return {
      kind: 'tensor',
      fields: Array.from({ length: width }, (_, i) => ({
        name: `[${i}]`,
        type,
        required: true
      }))
    };
  }
  const fields: ISignatureField[] = [];
  let unnamed = 0;
  COLUMN.lastIndex = 0;
  for (let match = COLUMN.exec(text); match; match = COLUMN.exec(text)) {
    const raw = match[1] ?? match[2];
    const name =
      raw === undefined ? String(unnamed++) : raw.replace(/\\(.)/g, '$1');
    fields.push({ name, type: match[3], required: match[4] === 'required' });
  }
  return fields.length ? { kind: 'columns', fields } : null;
}

function fromSpecs(specs: unknown): IInputSchema | null {
  if (!Array.isArray(specs) || specs.length === 0) {
    return null;
  }
  const fields: ISignatureField[] = [];
  for (const [index, spec] of specs.entries()) {
    if (typeof spec !== 'object' || spec === null) {
      return null;
    }
    const { name, type, required } = spec as Record<string, unknown>;
    if (type === 'tensor') {
      return null;
    }
    fields.push({
      name: typeof name === 'string' ? name : String(index),
      type: typeof type === 'string' ? type : 'string',
      required: required !== false
    });
  }
  return { kind: 'columns', fields };
}

/**
 * The first row of an input example, as strings keyed by field name.
 * Takes MLflow's saved forms: `{columns, data}` (split), a list of
 * records, a `{inputs: [[...]]}` tensor or a bare list of rows.
 */
export function exampleRow(
  example: unknown,
  schema: IInputSchema
): Record<string, string> {
  const row: Record<string, string> = {};
  const put = (name: string, value: unknown) => {
    if (value !== undefined && value !== null) {
      row[name] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  };
  if (typeof example === 'string') {
    try {
      example = JSON.parse(example);
    } catch {
      return row;
    }
  }
  if (typeof example !== 'object' || example === null) {
    return row;
  }
  const record = example as Record<string, unknown>;
  const split = (record.dataframe_split ?? record) as Record<string, unknown>;
  if (Array.isArray(split.columns) && Array.isArray(split.data)) {
    const first = split.data[0];
    if (Array.isArray(first)) {
      split.columns.forEach((column, i) => put(String(column), first[i]));
    }
    return row;
  }
  const records = record.dataframe_records ?? record.inputs ?? example;
  const first = Array.isArray(records) ? records[0] : records;
  if (Array.isArray(first)) {
    schema.fields.forEach((field, i) => put(field.name, first[i]));
  } else if (typeof first === 'object' && first !== null) {
    for (const [key, value] of Object.entries(first)) {
      put(key, value);
    }
  }
  return row;
}

/** A form value as the type the signature asks for; throws on a bad number. */
export function coerce(field: ISignatureField, value: string): unknown {
  const text = value.trim();
  if (text === '') {
    return null;
  }
  if (isNumericType(field.type)) {
    const number = Number(text);
    if (!Number.isFinite(number)) {
      throw new Error(`${field.name}: "${value}" is not a number`);
    }
    if (INTEGER.has(field.type) && !Number.isInteger(number)) {
      throw new Error(`${field.name}: "${value}" is not a whole number`);
    }
    return number;
  }
  if (field.type === 'boolean' || field.type === 'bool') {
    return text === 'true';
  }
  return text;
}

/** One row of form values as an MLflow scoring payload. */
export function scoringPayload(
  schema: IInputSchema,
  values: Record<string, string>
): ScoringPayload {
  const row = schema.fields.map(field =>
    coerce(field, values[field.name] ?? '')
  );
  if (schema.kind === 'tensor') {
    return { inputs: [row] };
  }
  return {
    dataframe_split: {
      columns: schema.fields.map(field => field.name),
      data: [row]
    }
  };
}

/** A model version as the registry may list it, with its input example. */
export type IVersionWithExample = IModelVersion & { input_example?: unknown };
