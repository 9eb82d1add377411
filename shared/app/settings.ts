import type { FreshnessLimits } from '../domain/gates';
import type { PromotionRule } from '../domain/model/challenger';
import { gradeShares, type Config } from './config';
import type { RetrainSettings } from './retrain';

/** The use cases' settings read from the configuration: one mapping each, for the container. */
export function freshnessLimits(config: Config): FreshnessLimits {
  return { maxLabelAgeDays: config.GATE_MAX_LABEL_AGE_DAYS, maxFeaturesAgeDays: config.GATE_MAX_FEATURES_AGE_DAYS };
}

/** The calibration checks' limits besides Brier (docs/architecture.md, "Training recipe"). */
export function calibrationThresholds(config: Config): RetrainSettings['calibration'] {
  return { maxEce: config.CALIBRATION_MAX_ECE, maxSlopeDeviation: config.CALIBRATION_MAX_SLOPE_DEVIATION, maxIntercept: config.CALIBRATION_MAX_INTERCEPT };
}

export function promotionRule(config: Config): PromotionRule {
  return { minSends: config.PROMOTION_MIN_SENDS, alpha: config.PROMOTION_ALPHA, minAucGain: config.PROMOTION_MIN_AUC_GAIN };
}

export function retrainSettings(config: Config): RetrainSettings {
  return {
    trainDays: config.TRAIN_DAYS,
    validDays: config.VALID_DAYS,
    C: config.TRAIN_C,
    brierThreshold: config.CALIBRATION_BRIER_THRESHOLD,
    gradeShares: gradeShares(config),
    calibration: calibrationThresholds(config),
    autoDeploy: config.AUTO_DEPLOY,
    mode: config.RETRAIN_MODE,
    gates: {
      minTrainRows: config.GATE_MIN_TRAIN_ROWS,
      minTrainPerClass: config.GATE_MIN_TRAIN_PER_CLASS,
      minValidRows: config.GATE_MIN_VALID_ROWS,
      minValidPerClass: config.GATE_MIN_VALID_PER_CLASS,
      prAucLift: config.GATE_PR_AUC_LIFT,
      maxAucDrop: config.GATE_MAX_AUC_DROP,
    },
    cooldownHours: config.RETRAIN_COOLDOWN_HOURS,
    psiBaselineDays: config.PSI_BASELINE_DAYS,
    freshness: freshnessLimits(config),
    lockMinutes: config.RETRAIN_LOCK_MINUTES,
  };
}
