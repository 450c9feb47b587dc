import { TranslationBundle } from '@jupyterlab/translation';
import { HTMLSelect } from '@jupyterlab/ui-components';
import * as React from 'react';

import { IJsonSchema } from '../../api';
import { IJobFormFields, schemaAt } from '../formValues';
import { IFieldError } from './errors';

/** What every fieldset of the form's own fields (not parameters) takes. */
export interface IFieldsetProps {
  fields: IJobFormFields;
  setField<K extends keyof IJobFormFields>(
    key: K,
    value: IJobFormFields[K]
  ): void;
  schema: IJsonSchema | null;
  error: IFieldError | null;
  /** Unique to the form, so that labels find their inputs. */
  idPrefix: string;
  trans: TranslationBundle;
}

/** The spec schema's description of a field, shown as its help. */
export function describe(
  schema: IJsonSchema | null,
  path: string
): string | undefined {
  return schemaAt(schema, path)?.description;
}

/** One labelled input with its help and the server's message for it. */
export function Field(props: {
  field: string;
  label: string;
  help?: string;
  error: IFieldError | null;
  inputId: string;
  className?: string;
  children: React.ReactNode;
  dataset?: Record<string, string>;
}): JSX.Element {
  const { field, error } = props;
  const failed = error !== null && error.field === field;
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(props.dataset ?? {})) {
    data[`data-${key}`] = value;
  }
  return (
    <div
      className={`jp-mlops-job-field${failed ? ' jp-mlops-job-field-invalid' : ''} ${props.className ?? ''}`}
      data-field={field}
      {...data}
    >
      <label className="jp-mlops-job-label" htmlFor={props.inputId}>
        {props.label}
      </label>
      <div className="jp-mlops-job-input">{props.children}</div>
      {props.help && <div className="jp-mlops-job-help">{props.help}</div>}
      {failed && (
        <div className="jp-mlops-error jp-mlops-job-field-error" role="alert">
          {error.message}
        </div>
      )}
    </div>
  );
}

/** The form's fields that take any text (the catch-up policy takes a choice). */
type TextFieldKey = Exclude<keyof IJobFormFields, 'catchup'>;

/** What a field bound to one of the form's own values is told. */
interface IBoundFieldProps<K extends keyof IJobFormFields> {
  form: IFieldsetProps;
  /** The form value it edits. */
  name: K;
  /** The request's path for it, as the server names it in an error. */
  field: string;
  /** The end of its input's id, after the form's prefix. */
  idSuffix: string;
  label: string;
  help?: string;
}

/** The wrapping field's props for a bound field, its input's id included. */
function fieldProps(props: IBoundFieldProps<keyof IJobFormFields>) {
  return {
    field: props.field,
    label: props.label,
    help: props.help,
    error: props.form.error,
    inputId: `${props.form.idPrefix}-${props.idSuffix}`
  };
}

/**
 * A field whose input edits one of the form's own values; `input` holds the
 * input's other attributes and `children` follow the input (a datalist).
 */
export function InputField(
  props: IBoundFieldProps<TextFieldKey> & {
    input?: React.InputHTMLAttributes<HTMLInputElement>;
    children?: React.ReactNode;
  }
): JSX.Element {
  const { form, name, input } = props;
  const field = fieldProps(props);
  return (
    <Field {...field}>
      <input
        {...input}
        id={field.inputId}
        className={`jp-mod-styled${input?.className ? ` ${input.className}` : ''}`}
        value={form.fields[name]}
        onChange={event => form.setField(name, event.target.value)}
      />
      {props.children}
    </Field>
  );
}

/** A field whose drop-down picks one of the form's own values. */
export function SelectField<K extends keyof IJobFormFields>(
  props: IBoundFieldProps<K> & {
    options: { value: IJobFormFields[K]; label: string }[];
    disabled?: boolean;
  }
): JSX.Element {
  const { form, name } = props;
  const field = fieldProps(props);
  return (
    <Field {...field}>
      <HTMLSelect
        id={field.inputId}
        value={form.fields[name]}
        disabled={props.disabled}
        onChange={event =>
          form.setField(name, event.currentTarget.value as IJobFormFields[K])
        }
        options={props.options}
      />
    </Field>
  );
}
