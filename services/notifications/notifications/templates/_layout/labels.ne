{# घटनाले बोक्ने मानहरूको पाठकका लागि नाम (contracts: SPOT_KINDS, TOPICS, CLOSE_REASONS,
   donations.SOURCES; विवादका कारण Stripe का हुन्, यहाँ नभएको मान जस्ताको तस्तै देखिन्छ)। #}
{% set spot_kinds = {
    "city_hall": "नगरपालिका/वडा कार्यालयको प्रक्रिया",
    "nursery_enrolment": "नर्सरी (होइकुएन) भर्ना",
    "hospital": "अस्पताल जाँदा साथ",
    "school": "विद्यालयसम्बन्धी काम",
    "language_support": "भाषा सहयोग",
    "other": "दैनिक जीवनका प्रक्रिया",
} %}
{% set topics = {
    "residence_visa": "बसोबास अनुमति र भिसा",
    "work": "काम",
    "housing": "आवास",
    "child_rearing_education": "बालबालिकाको हेरचाह र शिक्षा",
    "medical": "स्वास्थ्य उपचार",
    "tax_pension": "कर र पेन्सन",
    "other": "दैनिक जीवनका समस्या",
} %}
{% set close_reasons = {
    "moved": "बसाइँ सरेकाले",
    "lack_of_contact": "सम्पर्क नभएकाले",
    "needs_changed": "आवश्यकता बदलिएकाले",
    "safeguarding": "सुरक्षाका कारण",
    "other": "अन्य",
} %}
{% set payment_sources = {
    "card_one_time": "कार्डबाट एकपटकको सहयोग",
    "monthly": "मासिक सहयोग (JII Partners)",
    "bank_transfer": "बैंक ट्रान्सफर",
    "grant": "अनुदान",
    "membership_fee": "सदस्यता शुल्क",
} %}
{% set dispute_reasons = {
    "fraudulent": "धोखाधडी: कार्डधनीले यो भुक्तानी आफूले नगरेको बताएका छन्",
    "unrecognized": "नचिनिएको भुक्तानी: कार्डधनीले यो भुक्तानी चिन्दैनन्",
    "duplicate": "दोहोरो भुक्तानी: दुईपटक शुल्क लागेको दाबी",
    "subscription_canceled": "रद्द गरिएको मासिक भुक्तानी: पहिले नै रद्द गरेको दाबी",
    "credit_not_processed": "फिर्ता नभएको: रकम फिर्ता हुनुपर्ने दाबी",
    "product_not_received": "सेवा वा सामान प्राप्त नभएको",
    "product_unacceptable": "सेवा वा सामान स्वीकार्य नभएको",
    "customer_initiated": "कार्डधनीले सुरु गरेको",
    "debit_not_authorized": "अनुमति नदिइएको डेबिट",
    "bank_cannot_process": "बैंकले प्रक्रिया गर्न नसक्ने भुक्तानी",
    "insufficient_funds": "अपर्याप्त रकम",
    "incorrect_account_details": "खाताको गलत विवरण",
    "check_returned": "चेक फिर्ता",
    "noncompliant": "कार्ड नेटवर्कको नियम पालना नभएको",
    "general": "सामान्य (कुनै विशेष कारण नदिइएको)",
} %}
{% set programs_by_role = {
    "resident": "Otonari-san Family Friend Program",
    "partner": "Otonari-san Family Friend Program",
    "volunteer": "Spot Otonari-san",
} %}
{% set urgencies = {
    "low": "कम",
    "normal": "सामान्य",
    "high": "उच्च",
    "urgent": "अति जरुरी",
} %}
{% set session_cancel_reasons = {
    "weather": "मौसमका कारण",
    "venue_unavailable": "स्थल उपलब्ध नभएकाले",
    "tutor_unavailable": "शिक्षक उपलब्ध नभएकाले",
    "holiday": "बिदाका कारण",
    "other": "अप्रत्याशित कारणले",
} %}
