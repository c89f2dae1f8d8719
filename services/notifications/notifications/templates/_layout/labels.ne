{# घटनाले बोक्ने मानहरूको पाठकका लागि नाम (contracts: SPOT_KINDS, TOPICS, CLOSE_REASONS)। #}
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
