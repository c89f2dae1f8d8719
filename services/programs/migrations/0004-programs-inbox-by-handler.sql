-- depends: 0003-programs-session-cancellation
-- The impact ledger's handlers now claim events in the inbox under their own names, as every
-- consume_event handler does; the events already applied keep their claim under the new name,
-- so a late redelivery or a dead-letter replay is still not counted twice.
UPDATE inbox SET handler = CASE handler
    WHEN 'impact:donations.payment_succeeded' THEN 'count_payment'
    WHEN 'impact:donations.payment_refunded' THEN 'count_refund'
    WHEN 'impact:donations.payment_voided' THEN 'count_void'
    WHEN 'impact:matching.pairing_started' THEN 'count_pairing_started'
    WHEN 'impact:matching.pairing_completed' THEN 'count_pairing_completed'
    WHEN 'impact:matching.spot_request_completed' THEN 'count_spot_request'
    WHEN 'impact:programs.class_enrollment_confirmed' THEN 'count_enrollment'
    WHEN 'impact:programs.class_enrollment_promoted' THEN 'count_promotion'
    WHEN 'impact:programs.class_session_held' THEN 'count_session'
    WHEN 'impact:programs.consultation_opened' THEN 'count_consultation_opened'
    WHEN 'impact:programs.consultation_resolved' THEN 'count_consultation_ended'
END
WHERE handler LIKE 'impact:%';
