import { Button, Checkbox, Input, InputNumber, Select, Space, TimePicker, Typography } from 'antd';
import dayjs from 'dayjs';
import { useEffect, useState } from 'react';
import { useI18n } from '../i18n/i18n-context.ts';
import { cronPresets, defaultCronParts, fromCron, toCron, type CronMode, type CronParts } from './cron-model.ts';

const modes: CronMode[] = ['hourly', 'daily', 'weekly', 'monthly', 'custom'];
const weekdayOrder = [1, 2, 3, 4, 5, 6, 0] as const;

interface Props {
  value?: string;
  onChange?: (cron: string) => void;
}

/**
 * A form control for a recurring schedule's cron: presets, a builder for the common shapes
 * (every hour / day / chosen weekdays / day of month at a time) and the raw expression, which
 * stays editable (an expression the builder cannot show switches it to "custom").
 */
export function CronBuilder({ value, onChange }: Props) {
  const { t } = useI18n();
  const [parts, setParts] = useState<CronParts>(() => (value ? fromCron(value) : defaultCronParts));

  // A value set from outside (a preset, the form's reset) re-reads the builder.
  useEffect(() => {
    if (value !== undefined && value !== toCron(parts)) setParts(fromCron(value));
  }, [value]);

  const update = (next: CronParts) => {
    setParts(next);
    onChange?.(toCron(next));
  };
  const time = dayjs().hour(parts.hour).minute(parts.minute).second(0);

  return (
    <Space orientation="vertical" style={{ width: '100%' }} data-testid="cron-builder">
      <Space wrap size={[8, 8]}>
        <Typography.Text type="secondary">{t('cron.presets')}:</Typography.Text>
        {cronPresets.map((p) => (
          <Button key={p.key} size="small" type={value === p.cron ? 'primary' : 'default'} onClick={() => update(fromCron(p.cron))} data-testid={`cron-preset-${p.key}`}>
            {t(`cron.preset.${p.key}`)}
          </Button>
        ))}
      </Space>
      <Space wrap align="center">
        <Select<CronMode>
          value={parts.mode}
          style={{ width: 150 }}
          onChange={(mode) => update({ ...parts, mode, custom: mode === 'custom' ? toCron(parts) : parts.custom })}
          options={modes.map((m) => ({ value: m, label: t(`cron.mode.${m}`) }))}
          data-testid="cron-mode"
        />
        {parts.mode === 'monthly' && (
          <Space>
            <Typography.Text>{t('cron.onDay')}</Typography.Text>
            <InputNumber min={1} max={31} precision={0} value={parts.monthDay} onChange={(v) => update({ ...parts, monthDay: v ?? 1 })} data-testid="cron-month-day" />
          </Space>
        )}
        {parts.mode === 'hourly' && (
          <Space>
            <Typography.Text>{t('cron.atMinute')}</Typography.Text>
            <InputNumber min={0} max={59} precision={0} value={parts.minute} onChange={(v) => update({ ...parts, minute: v ?? 0 })} data-testid="cron-minute" />
          </Space>
        )}
        {(parts.mode === 'daily' || parts.mode === 'weekly' || parts.mode === 'monthly') && (
          <TimePicker
            format="HH:mm"
            allowClear={false}
            needConfirm={false}
            value={time}
            onChange={(v) => v && update({ ...parts, hour: v.hour(), minute: v.minute() })}
            data-testid="cron-time"
          />
        )}
      </Space>
      {parts.mode === 'weekly' && (
        <Checkbox.Group
          value={parts.weekdays}
          onChange={(days) => update({ ...parts, weekdays: days as number[] })}
          options={weekdayOrder.map((d) => ({ value: d, label: t(`cron.weekday.${d}`) }))}
          data-testid="cron-weekdays"
        />
      )}
      <Input
        addonBefore="cron"
        value={value ?? toCron(parts)}
        onChange={(e) => {
          const next = fromCron(e.target.value);
          setParts(next);
          onChange?.(e.target.value);
        }}
        placeholder="0 9 * * 1"
        style={{ maxWidth: 360, fontFamily: 'ui-monospace, SFMono-Regular, Menlo, monospace' }}
        data-testid="cron-input"
      />
      <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t('cron.hint')}</Typography.Text>
    </Space>
  );
}
